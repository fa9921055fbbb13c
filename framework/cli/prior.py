"""``llie prior CONFIG [INPUT ...] --out DIR [--pairs LOW_DIR HIGH_DIR] [--json OUT]`` — show what an image prior sees.

Only the config's ``model.image_prior`` is built (seeded as the model builds it, so a random-init prior is the
same network training sees). Per image it writes ``<name>_classes.png`` (the argmax class map blended over the
image, with a legend of the classes present and their pixel fractions; segmentation priors only) and
``<name>_levels.png`` (each feature level's mean |activation|, normalised per level, side by side). With
``--pairs`` it runs the prior on each low-light image and its ground truth and measures how well the labels
agree (pixel accuracy; mIoU over the classes present in either map): how far the prior can be trusted in the dark.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import add_config_args, resolve_config

if TYPE_CHECKING:
    from ..interfaces import ImagePrior


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prior", help="draw an image prior's class map and feature levels; label agreement low vs GT")
    add_config_args(p)
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="image files or folders of images (right after CONFIG)")
    p.add_argument("--out", required=True, metavar="DIR", help="where the PNGs are written")
    p.add_argument("--pairs", nargs=2, metavar=("LOW_DIR", "HIGH_DIR"),
                   help="also run on these low-light/ground-truth pairs (paired by stem) and measure label agreement")
    p.add_argument("--json", dest="json_out", metavar="OUT",
                   help="write per-image class fractions (by name), level energies and the pairs' agreement")
    p.add_argument("--alpha", type=float, default=0.5, help="opacity of the class colours over the image (0.5)")
    p.set_defaults(func=run)


def list_images(inputs: list[str]) -> list[Path]:
    from .enhance import list_inputs

    files: list[Path] = []
    for given in inputs:
        files += list_inputs(Path(given))
    return files


def build_prior(cfg: Any, source: str) -> "ImagePrior":
    from ..config import to_plain
    from ..engine.model import build_frozen_part
    from ..visual.prior_view import check_prior

    model = to_plain(cfg.get("model") or {})
    return check_prior(build_frozen_part("image_priors", model.get("image_prior")), source)


def describe(entry: dict) -> str:
    fractions = entry["class_fractions"]
    if fractions is None:
        return f"{entry['path']}: {len(entry['levels'])} levels (no class scores)"
    top = ", ".join(f"{name} {100 * share:.1f} %" for name, share in list(fractions.items())[:4])
    return f"{entry['path']}: {top}"


def print_agreement(rows: list[dict], mean: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="prior labels: low-light vs ground truth")
    for column, justify in (("pair", "left"), ("pixel acc.", "right"), ("mIoU", "right"), ("classes", "left")):
        table.add_column(column, justify=justify)
    for row in rows:
        table.add_row(row["name"], f"{row['pixel_accuracy']:.4f}", f"{row['miou']:.4f}", ", ".join(row["classes"]))
    table.add_row(f"mean ({mean['n_pairs']})", f"{mean['pixel_accuracy']:.4f}", f"{mean['miou']:.4f}", "",
                  style="bold")
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    from ..data.io import read_image
    from ..engine.safety import check_output_dir, check_output_file
    from ..errors import DataError
    from ..visual.prior_pairs import record, run_pairs, unique_name
    from ..visual.prior_view import look
    from .evaluate import write_json

    if not args.inputs and not args.pairs:
        raise DataError("give images or folders to look at, or --pairs LOW_DIR HIGH_DIR")
    if not 0.0 <= args.alpha <= 1.0:
        raise DataError(f"--alpha must be between 0 and 1, got {args.alpha}")
    cfg = resolve_config(args)
    files = list_images(args.inputs)  # every input checked before the prior is built
    out_dir = Path(args.out)
    check_output_dir(out_dir)
    if args.json_out:
        check_output_file(args.json_out)
    prior = build_prior(cfg, str(args.config))
    taken: set[str] = set()
    images: list[dict] = []
    for path in files:
        image = read_image(path)
        images.append(record(prior, look(prior, image), image, unique_name(path.stem, taken), path, "input",
                             out_dir, args.alpha))
        print(describe(images[-1]))
    payload: dict[str, Any] = {"config": str(args.config), "prior": prior.identity(),
                               "num_classes": prior.num_classes,
                               "class_names": None if prior.class_names is None else list(prior.class_names),
                               "images": images}
    if args.pairs:
        rows, mean = run_pairs(prior, args.pairs[0], args.pairs[1], out_dir, args.alpha, taken, images)
        payload.update(pairs=rows, agreement=mean)
        print_agreement(rows, mean)
    print(f"wrote {len(images)} image(s) to {out_dir}")
    if args.json_out:
        write_json(payload, args.json_out)
        print(f"wrote {args.json_out}")
    return 0
