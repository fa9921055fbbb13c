"""``llie enhance [CONFIG] [--checkpoint CKPT] INPUT OUTPUT_DIR`` — enhance one image or a folder, any size.

``--checkpoint`` is optional for training-free methods and published weights (see ``llie eval``); CONFIG may be
omitted when CKPT is a file written by ``llie export``.

Same-size images are batched; very large images can be tiled (``--tile``) with overlapping, smoothly blended tiles.
A file that cannot be read is reported at the end (non-zero exit) after every good file is written.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from typing import TYPE_CHECKING

from ..errors import DataError, LLIEError
from .common import add_config_args, resolve_config

if TYPE_CHECKING:
    import torch


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enhance", help="enhance an image or every image of a folder with a trained or published model")
    add_config_args(p, optional=True)
    p.add_argument("--checkpoint", help="checkpoint written by llie train, or a file written by llie export (CONFIG "
                                        "then optional); not needed for training-free methods and published weights")
    p.add_argument("input", help="an image file or a folder of images")
    p.add_argument("output_dir", help="where enhanced PNGs are written (same stem as the input)")
    p.add_argument("--batch", type=int, default=1,
                   help="same-size images enhanced together (default 1: on a CPU, batching saves no time and "
                        "multiplies the activation memory)")
    p.add_argument("--tile", type=int, default=0, help="tile size for large images (default: whole image)")
    p.add_argument("--overlap", type=int, default=32, help="tile overlap in pixels, blended smoothly (default 32)")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="whole-model precision: fp32 (default) or bf16 autocast (faster on CPUs with AMX/AVX512-BF16 "
                        "and on GPUs; outputs change slightly). The frozen prior alone: "
                        "--set model.prior_precision=bf16")
    p.add_argument("--memory-format", choices=["auto", "channels_last", "contiguous"], default="auto",
                   help="tensor layout: auto (default) = channels_last on CPU, where it is faster; same results")
    p.set_defaults(func=run)


def list_inputs(path: Path) -> list[Path]:
    from ..data.io import IMAGE_SUFFIXES

    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in folder {path}")
        return files
    raise DataError(f"input not found: {path}")


def load_batch(paths: list[Path]) -> "torch.Tensor":
    import torch

    from ..data.io import read_image

    return torch.stack([torch.from_numpy(read_image(p)).permute(2, 0, 1) for p in paths]).contiguous()


def enhance_batch(runner, paths: list[Path], out_dir: Path, tile: int, overlap: int) -> list[Path]:
    """Enhance ``paths`` (same size) with ``runner`` (an :class:`~llie.engine.inference.InferenceModel`)."""
    from ..data.io import write_image
    from ..engine.tiling import enhance_tensor

    x = load_batch(paths)
    out = enhance_tensor(runner, x, tile=tile or None, overlap=overlap, multiple=runner.pad_multiple).clamp(0, 1)
    written = []
    for src, img in zip(paths, out):
        dst = out_dir / f"{src.stem}.png"
        write_image(dst, img)
        written.append(dst)
    return written


def run(args: argparse.Namespace) -> int:
    from ..engine.inference import build_inference_model
    from ..engine.safety import check_output_dir
    from ..engine.tiling import batch_same_size

    cfg = resolve_config(args)
    files = list_inputs(Path(args.input))
    out_dir = Path(args.output_dir)
    check_output_dir(out_dir)  # fail before any image is processed
    model = build_inference_model(cfg, args.checkpoint, precision=args.precision, memory_format=args.memory_format,
                                  require_trained=True)
    failures: list[str] = []
    done = 0
    start = time.perf_counter()
    for group in batch_same_size(files, max_batch=max(1, args.batch)):
        group = [Path(p) for p in group]
        try:
            written = enhance_batch(model, group, out_dir, args.tile, args.overlap)
        except LLIEError:  # one bad file must not cost the good ones: retry the group one by one
            written = []
            for src in group:
                try:
                    written += enhance_batch(model, [src], out_dir, args.tile, args.overlap)
                except LLIEError as exc:
                    failures.append(str(exc))
        for src, dst in zip(group, written):
            print(f"{src} -> {dst}")
        done += len(written)
    elapsed = time.perf_counter() - start
    used = ", ".join(f"{k} {v}" for k, v in model.settings.items())
    print(f"enhanced {done}/{len(files)} images in {elapsed:.2f} s ({done / max(elapsed, 1e-9):.2f} images/s; "
          f"{used})")
    if failures:
        for line in failures:
            print(f"llie enhance: failed: {line}", file=sys.stderr)
        return 1
    return 0
