"""``llie enhance CONFIG --checkpoint CKPT INPUT OUTPUT_DIR`` — enhance one image or a folder, any size."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from ..data.io import IMAGE_SUFFIXES, read_image, write_image
from ..engine.training import load_trained_model
from ..errors import DataError, LLIEError
from .common import add_config_args, resolve_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enhance", help="enhance an image or every image of a folder with a trained checkpoint")
    add_config_args(p)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("input", help="an image file or a folder of images")
    p.add_argument("output_dir", help="where enhanced PNGs are written (same stem as the input)")
    p.set_defaults(func=run)


def list_inputs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in folder {path}")
        return files
    raise DataError(f"input not found: {path}")


@torch.no_grad()
def enhance_file(model, src: Path, out_dir: Path) -> Path:
    img = torch.from_numpy(read_image(src)).permute(2, 0, 1).unsqueeze(0).contiguous()
    out = model(img, mode="tensor").clamp(0, 1)[0]
    dst = out_dir / f"{src.stem}.png"
    write_image(dst, out)
    return dst


def run(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    files = list_inputs(Path(args.input))
    model = load_trained_model(cfg, args.checkpoint)
    out_dir = Path(args.output_dir)
    failures: list[str] = []
    start = time.perf_counter()
    for src in files:
        try:  # one bad file must not cost the good ones
            dst = enhance_file(model, src, out_dir)
            print(f"{src} -> {dst}")
        except LLIEError as exc:
            failures.append(str(exc))
    elapsed = time.perf_counter() - start
    done = len(files) - len(failures)
    print(f"enhanced {done}/{len(files)} images in {elapsed:.2f} s ({done / max(elapsed, 1e-9):.2f} images/s)")
    if failures:
        for line in failures:
            print(f"llie enhance: failed: {line}", file=sys.stderr)
        return 1
    return 0
