"""``llie eval CONFIG --images DIR|NAME [--metrics niqe,...] [--json OUT]``: an unpaired set, no-reference metrics.

The model enhances every image (read by :func:`llie.data.io.read_image`, as paired data) and each metric scores the
outputs alone. ``DIR`` is a folder of images (an ``UnpairedFolder``); ``NAME`` a dataset config under
``experiments/_base_/datasets`` (``dicm``, ``lime``, ``mef``, ``npe``, ``vv``: ``$LLIE_DATA/<NAME>``), whose test
split is used. A config whose own test split has no ground truth (``data.test: {type: UnpairedFolder, ...}``) is
evaluated the same way without ``--images``. The JSON has the shape of paired results — ``{"<metric>": mean, ...,
"protocol", "n_images", "per_image": [{"name", "<metric>", ...}]}`` — plus ``"lower_is_better": [<metric>, ...]``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, DataError, did_you_mean

if TYPE_CHECKING:
    from mmengine.config import Config

    from ..engine.no_reference_eval import NoReferenceResult

DEFAULT_METRICS = "niqe"


def add_image_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", metavar="DIR|NAME",
                        help="score the enhanced images of an unpaired set with no-reference metrics: a folder of "
                             "images, or a dataset name (dicm, lime, mef, npe, vv: $LLIE_DATA/<NAME>)")
    parser.add_argument("--metrics", help=f"comma-separated no-reference metrics for --images "
                                          f"(default: {DEFAULT_METRICS}; see `llie plugins`)")


def check_image_args(args: argparse.Namespace) -> None:
    """Options that do not go together fail before any work, naming them."""
    if args.metrics and args.pairs:
        raise ConfigError("--metrics applies to no-reference evaluation (--images, or a test split without ground "
                          "truth); paired evaluation reports PSNR/SSIM")
    if args.images and args.pairs:
        raise ConfigError("give either --images (an unpaired set) or --pairs (low/high folders), not both")
    if args.images and (args.protocol or args.gt_mean):
        raise ConfigError("--protocol and --gt-mean apply to paired evaluation, not to --images")
    if args.images or args.metrics:
        metric_names(args.metrics)


def is_unpaired(dataset: Any) -> bool:
    """Whether ``dataset`` has no ground truth (e.g. a config's ``data.test`` of type ``UnpairedFolder``)."""
    return getattr(dataset, "has_ground_truth", True) is False


def check_paired_args(args: argparse.Namespace) -> None:
    """Before a paired evaluation: ``--metrics`` names no-reference metrics, which it does not compute."""
    if args.metrics:
        raise ConfigError("--metrics applies to no-reference evaluation (--images, or a test split without ground "
                          "truth); this test split has ground truth: PSNR/SSIM are reported")


def metric_names(text: str | None) -> list[str]:
    """``'niqe,brisque'`` -> ``['niqe', 'brisque']`` (order kept, repeats dropped), each a registered metric."""
    from ..metrics.no_reference import no_reference_metrics

    names = list(dict.fromkeys(n.strip() for n in (text or DEFAULT_METRICS).split(",") if n.strip()))
    known = no_reference_metrics()
    for name in names:
        if name not in known:
            raise ConfigError(f"--metrics: unknown no-reference metric '{name}'{did_you_mean(name, known)}; "
                              f"known: {', '.join(sorted(known)) or 'none'}")
    if not names:
        raise ConfigError("--metrics: give at least one no-reference metric, e.g. --metrics niqe")
    return names


def image_dataset(spec: str, skip_bad: bool) -> Any:
    """The dataset ``--images`` names: a folder (``UnpairedFolder``) or a dataset config's test split."""
    from ..engine.builders import without_bad_pairs
    from ..registry import build
    from ..sweep.datasets import data_section, known_datasets
    from .common import skip_option

    folder = Path(spec).expanduser()
    if folder.is_dir():
        ds_cfg: dict = {"type": "UnpairedFolder", "root": str(folder)}
    elif spec in known_datasets():
        data = data_section(spec, source="--images")
        ds_cfg = dict(data.get("test") or data.get("val") or {})
        if not ds_cfg:
            raise ConfigError(f"--images {spec}: its dataset config has no data.test (or data.val) section")
    else:
        raise DataError(f"--images {spec}: not a folder, and not a dataset name{did_you_mean(spec, known_datasets())}"
                        f" (known: {', '.join(known_datasets())})")
    option = skip_option(ds_cfg["type"]) if skip_bad and isinstance(ds_cfg.get("type"), str) else None
    if option is not None:
        ds_cfg[option] = True
    return without_bad_pairs(build("datasets", ds_cfg))


def print_table(result: "NoReferenceResult", title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    metrics = list(result.means)
    arrows = ", ".join(f"{m} {'↓' if m in result.lower_is_better else '↑'}" for m in metrics)
    table = Table(title=f"{title} — no-reference ({arrows})")
    table.add_column("image")
    for metric in metrics:
        table.add_column(metric.upper(), justify="right")
    for row in result.per_image:
        table.add_row(str(row["name"]), *(f"{row[m]:.4f}" for m in metrics))
    table.add_row(f"mean ({result.n_images})", *(f"{result.means[m]:.4f}" for m in metrics), style="bold")
    Console().print(table)


def run_images(args: argparse.Namespace, cfg: "Config", model: Any, dataset: Any, work_dir: Path) -> int:
    """Evaluate ``model`` on the unpaired ``dataset``; print the table, write the JSON, name skipped images."""
    from ..engine.no_reference_eval import evaluate_no_reference
    from .evaluate import write_json

    result = evaluate_no_reference(cfg, model, dataset, work_dir, metric_names(args.metrics),
                                   progress=not args.no_progress)
    print_table(result, Path(args.images).name if args.images else "test split")
    if args.json_out:
        write_json(result.as_dict(), args.json_out)
        print(f"wrote {args.json_out}")
    for path in getattr(dataset, "dropped_images", []):
        print(f"llie eval: skipped unreadable image {path}", file=sys.stderr)
    for pair in getattr(dataset, "dropped_pairs", []):
        print(f"llie eval: skipped bad pair ({pair.low}, {pair.high})", file=sys.stderr)
    return 0
