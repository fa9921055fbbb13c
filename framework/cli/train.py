"""``llie train CONFIG [--set k=v ...] [--work-dir DIR] [--skip-bad-pairs]``."""
from __future__ import annotations

import argparse

from .common import add_config_args, add_skip_bad_pairs_arg, default_work_dir, resolve_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a config with mmengine's Runner (resumes from the work dir)")
    add_config_args(p)
    p.add_argument("--work-dir", help="where checkpoints and logs go (default: work_dirs/<experiment name>)")
    p.add_argument("--no-resume", action="store_true", help="start from scratch even if the work dir has checkpoints")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_skip_bad_pairs_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.training import train

    cfg = resolve_config(args)
    work_dir = args.work_dir or default_work_dir(cfg)
    result = train(cfg, work_dir, resume=not args.no_resume, progress=not args.no_progress)
    print(f"checkpoint: {result.checkpoint}")
    if result.metrics:
        print("validation: " + ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items()))
    return 0
