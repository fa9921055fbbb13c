"""``llie new-plugin NAME [--kind KIND] [--dir DIR]`` — write a ready third-party plugin package (see
:mod:`llie.scaffold`)."""
from __future__ import annotations

import argparse

#: the component kinds (llie.scaffold.KINDS), listed here so that --help imports nothing
KIND_NAMES = ("image_prior", "text_prior", "enhancer", "loss", "dataset")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new-plugin", help="write a ready plugin package: component, entry point, tests, sweep",
                       description=__doc__)
    p.add_argument("name", metavar="NAME", help="the plugin's import package and entry-point name, e.g. depth_prior")
    p.add_argument("--kind", choices=KIND_NAMES, default="image_prior", help="the component (default image_prior)")
    p.add_argument("--dir", dest="directory", metavar="DIR", help="where to write it (default ./NAME); new or empty")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..scaffold import KINDS, class_name, new_plugin

    target = new_plugin(args.name, args.kind, args.directory)
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    print(f"wrote {class_name(args.name, KINDS[args.kind])} ({KINDS[args.kind].label}) as plugin '{args.name}' in "
          f"{target}:")
    for file in files:
        print(f"  {file}")
    print(f"next: pip install -e {target} && (cd {target} && pytest) && llie plugins")
    return 0
