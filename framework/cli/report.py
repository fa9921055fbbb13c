"""``llie report``: tables, plots, image grids and an index page from a sweep's results store."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write tables (md/tex/csv), plots, image grids and index.html for a sweep",
                       description="Read work_dirs/<sweep>/results.parquet (or results.csv) and write a report.")
    p.add_argument("sweep_dir", help="the sweep's work directory, e.g. work_dirs/demo")
    p.add_argument("--out", default=None, help="report folder (default: reports/<sweep name>)")
    p.add_argument("--rebuild", action="store_true",
                   help="first rebuild the results store from the run directories")
    p.add_argument("--reference", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="the ablation reference row, e.g. --reference model.image_prior.type=HRNetPrior "
                        "(default: the sweep's 'reference', else the row with the most priors on)")
    p.add_argument("--no-images", dest="images", action="store_false",
                   help="skip the image grids (laid out from the sample images the cells saved)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import build_report

    report = build_report(args.sweep_dir, args.out, rebuild=args.rebuild, reference=args.reference,
                          images=args.images, log=lambda line: print(f"llie report: {line}", flush=True))
    for note in report.notes:
        print(f"llie report: note: {note}")
    print(f"llie report: wrote {len(report.files)} files; open {report.index}")
    return 0
