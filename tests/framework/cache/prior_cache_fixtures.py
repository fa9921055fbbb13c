"""Shared pieces of the prior-cache tests: an exactly shift/flip-equivariant toy prior and tiny run configs."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from llie.interfaces import ImagePrior, PriorFeatures
from llie.registry import build


class PoolPrior(ImagePrior):
    """Average pooling at strides 2 and 4 (and logits at 2): its window of a stride-aligned crop, flipped or
    rotated, equals its output on that crop exactly — so window geometry can be tested without tolerance."""

    strides = (2, 4)
    channels = (3, 3)
    num_classes = 3

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(float(scale)))
        self.freeze()

    def forward(self, x: Tensor) -> PriorFeatures:
        levels = [(s, self.scale * F.avg_pool2d(x, s, ceil_mode=True)) for s in self.strides]
        return PriorFeatures(levels=levels, logits=-F.avg_pool2d(x, 2, ceil_mode=True), logits_stride=2)

    def identity(self) -> str:
        return "PoolPrior"


def tiny_hrnet(seed: int = 0) -> ImagePrior:
    torch.manual_seed(seed)
    return build("image_priors", {"type": "HRNetPrior", "variant": "tiny", "num_classes": 4, "pretrained": None})


def save_prior_weights(prior: ImagePrior, path: Path) -> Path:
    torch.save({"state_dict": prior.state_dict()}, path)
    return path


def run_config(prior_weights: Path | None, *, seed: int = 0, iters: int = 3, crop_size: int | None = 16) -> dict:
    """A training config small enough for tests: tiny HRNet prior (from ``prior_weights``), tiny SEM enhancer."""
    return {
        "seed": seed,
        "model": {
            "type": "SemanticPriorModel",
            "image_prior": {"type": "HRNetPrior", "variant": "tiny", "num_classes": 4,
                            "pretrained": None if prior_weights is None else str(prior_weights)},
            "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 8, "levels": 1, "blocks_per_level": 1,
                         "bottleneck_blocks": 1, "block_type": "conv", "sem_scales": [1]},
            "losses": [{"type": "PixelLoss"}],
        },
        "data": {
            "batch_size": 2, "num_workers": 0,
            "train": {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1,
                      "crop_size": crop_size, "augment": True, "photos": ["astronaut", "camera"]},
            "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1,
                    "photos": ["coffee"]},
        },
        "train": {"max_iters": iters, "val_interval": iters, "checkpoint_interval": iters, "log_interval": 1000,
                  "scheduler": None},
    }
