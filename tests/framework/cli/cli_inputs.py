"""Inputs for the command-line failure tests: a tiny config, folders of image pairs, and broken files of each kind."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from llie.data import write_image

TINY: dict[str, Any] = {
    "seed": 0,
    "model": {"enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}, "losses": [{"type": "PixelLoss"}]},
    "data": {"batch_size": 2,
             "train": {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1,
                       "crop_size": 16},
             "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1}},
    "train": {"max_iters": 2, "val_interval": 2},
}

#: (height, width) of the generated images
SIZE = (20, 28)


def write_config(path: Path, cfg: dict[str, Any] = TINY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg))
    return path


def make_pairs(root: Path, n: int = 3) -> Path:
    """``root/low`` and ``root/high`` with ``img0..img{n-1}.png``; returns root."""
    rng = np.random.default_rng(0)
    for i in range(n):
        high = rng.random((*SIZE, 3)).astype(np.float32)
        write_image(root / "low" / f"img{i}.png", high * 0.2)
        write_image(root / "high" / f"img{i}.png", high)
    return root


def break_file(path: Path, kind: str) -> None:
    """Replace an image file by a broken one: 'empty' (0 bytes), 'truncated' (first half), 'garbage' (not an image)."""
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        path.write_bytes(b"this is not an image\n" * 20)
    else:
        raise ValueError(kind)


BROKEN_KINDS = ["empty", "truncated", "garbage"]


def error_lines(err: str) -> list[str]:
    """The lines ``llie`` printed as errors (log warnings of libraries are ignored)."""
    return [line for line in err.splitlines() if line.startswith("llie ")]
