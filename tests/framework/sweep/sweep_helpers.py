"""Sweep files on tiny cells: a 1-level U-Net with 4 channels on 32×32 synthetic pairs, a few iterations."""
from __future__ import annotations

from typing import Any

import yaml

from llie.paths import EXPERIMENTS

BASE = EXPERIMENTS / "unet" / "unet_synthetic.yaml"

TINY_OVERRIDES: dict[str, Any] = {
    "model.enhancer": {"type": "UNet", "base_channels": 4, "depth": 1},
    "train.max_iters": 2,
    "train.val_interval": 2,
    "train.checkpoint_interval": 1,
    "train.log_interval": 1,
    "data.batch_size": 2,
    "data.train": {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1,
                   "photos": ["astronaut", "chelsea"]},
    "data.val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1,
                 "photos": ["coffee", "rocket"]},
}


def sweep_text(name: str = "tiny", **fields: Any) -> str:
    overrides = {**TINY_OVERRIDES, **fields.pop("overrides", {})}
    body = {"name": name, "base": str(BASE), "datasets": ["synthetic"], "seeds": [0], "overrides": overrides,
            **fields}
    return yaml.safe_dump({"sweep": body}, sort_keys=False)
