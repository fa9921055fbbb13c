"""``llie`` — the command line: train, eval, enhance, export, plugins, demo (and later sweep, report, bench).

Every expected failure is an :class:`~llie.errors.LLIEError`; it is printed as one line and the exit status is
2. Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from ..errors import LLIEError, user_message

Command = Callable[[argparse.Namespace], int]


def _add_commands(sub: argparse._SubParsersAction) -> None:
    from . import bench, demo, enhance, evaluate, export, plugins, report, sweep, train

    for module in (train, evaluate, enhance, export, sweep, report, bench, plugins, demo):
        module.add_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llie", description="Low-light image enhancement guided by semantic priors.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # pretrained weights come from local files only
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LLIEError as exc:
        print(f"llie {args.command}: error: {user_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"llie {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
