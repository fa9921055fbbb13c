"""``llie eval [CONFIG] [--checkpoint CKPT] [--pairs LOW HIGH] [--protocol P] [--gt-mean] [--json OUT]
[--skip-bad-pairs]``; ``--images DIR|NAME [--metrics niqe,...]`` scores an unpaired set with no-reference metrics
instead (:mod:`llie.cli.evaluate_images`).

Without ``--checkpoint`` the model is evaluated as its config builds it: training-free methods and published weights
(``pretrained:``) need none; a model with randomly initialised trainable parameters is refused in one line. CONFIG may
be omitted when CKPT is a file written by ``llie export``.

A bad image stops the evaluation with one line naming the file, and no JSON is written; ``--skip-bad-pairs`` leaves
such pairs out of the means instead (each logged, and named again at the end).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from typing import TYPE_CHECKING

from .common import add_config_args, add_skip_bad_pairs_arg, default_work_dir, resolve_config
from .evaluate_images import (add_image_args, check_image_args, check_paired_args, image_dataset, is_unpaired,
                              run_images)

if TYPE_CHECKING:
    from ..engine.runner import EvalResult


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="PSNR/SSIM of a model on the config's test split or on a folder of pairs; "
                                    "no-reference metrics (NIQE) on an unpaired set")
    add_config_args(p, optional=True)
    p.add_argument("--checkpoint", help="checkpoint written by llie train, or a file written by llie export (CONFIG "
                                        "then optional); not needed for training-free methods and published weights")
    p.add_argument("--pairs", nargs=2, metavar=("LOW_DIR", "HIGH_DIR"), help="evaluate on these folders (paired by stem)")
    p.add_argument("--protocol", choices=["retinexformer", "basicsr"], help="metric protocol (default: config's eval)")
    p.add_argument("--gt-mean", action="store_true", default=None, help="scale outputs to the GT mean first")
    p.add_argument("--json", dest="json_out", help="write psnr/ssim (+ eval.extra_metrics)/protocol/gt_mean/n_images/"
                                                   "per_image as JSON")
    p.add_argument("--no-progress", action="store_true")
    add_skip_bad_pairs_arg(p)
    add_image_args(p)
    p.set_defaults(func=run)


def print_table(result: "EvalResult", title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} — protocol {result.protocol}{' + gt_mean' if result.gt_mean else ''}")
    table.add_column("image")
    table.add_column("PSNR", justify="right")
    table.add_column("SSIM", justify="right")
    from ..metrics.evaluator import EXTRA_METRICS

    for extra in result.extras:  # eval.extra_metrics, e.g. delta_e (lower is better)
        table.add_column(f"{extra} {'↑' if EXTRA_METRICS[extra][1] else '↓'}", justify="right")
    for row in result.per_image:
        table.add_row(str(row["name"]), f"{row['psnr']:.3f}", f"{row['ssim']:.4f}",
                      *(f"{row[e]:.3f}" for e in result.extras))
    table.add_row(f"mean ({result.n_images})", f"{result.psnr:.3f}", f"{result.ssim:.4f}",
                  *(f"{v:.3f}" for v in result.extras.values()), style="bold")
    Console().print(table)


def write_json(payload: dict, path: str | Path) -> None:
    """Atomic: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f, indent=2)
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    from ..engine.builders import build_dataset, without_bad_pairs
    from ..engine.runner import evaluate
    from ..engine.safety import check_output_file
    from ..engine.training import load_trained_model
    from ..registry import build

    check_image_args(args)
    cfg = resolve_config(args)
    if args.json_out:  # before any work: a long evaluation must not be lost to an unwritable output path
        check_output_file(args.json_out)
    if args.images:
        dataset = image_dataset(args.images, bool(args.skip_bad_pairs))
    elif args.pairs:
        dataset = without_bad_pairs(build("datasets", {"type": "PairedFolder", "low_dir": args.pairs[0],
                                                       "high_dir": args.pairs[1],
                                                       "skip_bad_pairs": bool(args.skip_bad_pairs)}))
    else:
        dataset = build_dataset(cfg, "test")
    if not (args.images or is_unpaired(dataset)):
        check_paired_args(args)
    model = load_trained_model(cfg, args.checkpoint)
    work_dir = default_work_dir(cfg) / "eval"
    if args.images or is_unpaired(dataset):
        return run_images(args, cfg, model, dataset, work_dir)
    result = evaluate(cfg, model, dataset, work_dir, progress=not args.no_progress,
                      protocol=args.protocol, gt_mean=args.gt_mean)
    print_table(result, Path(args.pairs[0]).name if args.pairs else "test split")
    if args.json_out:
        write_json(result.as_dict(), args.json_out)
        print(f"wrote {args.json_out}")
    for pair in getattr(dataset, "dropped_pairs", []):
        print(f"llie eval: skipped bad pair ({pair.low}, {pair.high})", file=sys.stderr)
    return 0
