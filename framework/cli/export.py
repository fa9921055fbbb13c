"""``llie export CONFIG CKPT OUT [--set k=v ...]`` — one self-contained inference file from a training checkpoint.

OUT holds the whole model's ``state_dict`` (frozen priors included, which training checkpoints leave out) and the
resolved config; it loads with ``torch.load(weights_only=True)``. ``llie enhance --checkpoint OUT INPUT OUTPUT_DIR``
and ``llie eval --checkpoint OUT`` then need no CONFIG and no prior weights file (see :mod:`llie.engine.export`).
"""
from __future__ import annotations

import argparse

from .common import add_config_args, resolve_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write one self-contained inference file (weights + config) from a checkpoint")
    add_config_args(p)
    p.add_argument("source", metavar="CKPT", help="checkpoint written by llie train (e.g. <work-dir>/iter_N.pth)")
    p.add_argument("out", metavar="OUT", help="the file to write (e.g. model.pth)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.export import export_model
    from ..engine.safety import check_output_file

    cfg = resolve_config(args)
    check_output_file(args.out)  # before the model is built: a typo in OUT must not cost the load
    out = export_model(cfg, args.source, args.out)
    size = out.stat().st_size / 2**20
    print(f"wrote {out} ({size:.1f} MiB: weights + config); use it as: "
          f"llie enhance --checkpoint {out} INPUT OUTPUT_DIR")
    return 0
