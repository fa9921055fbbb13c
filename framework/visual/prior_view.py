"""What an image prior sees in one image: its class map (segmentation priors) and the energy of each feature level.

Used by ``llie prior``; the drawing itself is :mod:`.segmentation` and :mod:`.features`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..interfaces import ImagePrior
from .features import energy_strip
from .segmentation import class_panel, present_classes

#: the tallest energy tile drawn (pixels); smaller images keep their own height
MAX_TILE_HEIGHT = 240


@dataclass
class LevelEnergy:
    stride: int
    channels: int
    #: ``⌈H/stride⌉×⌈W/stride⌉`` mean |activation| over the channels
    energy: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.energy.mean())


@dataclass
class PriorView:
    """One image through the prior: ``labels`` (``H×W`` argmax classes, None without logits) and the levels."""

    labels: np.ndarray | None
    levels: list[LevelEnergy] = field(default_factory=list)


def check_prior(prior: Any, source: str) -> ImagePrior:
    """``prior`` must be a real image prior (not absent, not the switched-off placeholder)."""
    if prior is None or not getattr(prior, "enabled", True):
        shown = "none" if prior is None else type(prior).__name__
        raise ConfigError(f"{source}: model.image_prior is {shown}; set it to an image prior (e.g. "
                          f"{{type: ESPNetv2Prior, dataset: voc, pretrained: espnetv2_voc}}) to see what it sees")
    return prior


def look(prior: ImagePrior, image: np.ndarray) -> PriorView:
    """Run ``prior`` on an ``H×W×3`` float image in [0, 1]; class scores at a coarser stride are resized
    bilinearly to the image before the argmax."""
    height, width = image.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
    param = next(prior.parameters(), None)
    if param is not None:
        x = x.to(param.device)
    with torch.no_grad():
        features = prior(x)
        labels = None
        if features.logits is not None:
            logits = features.logits.float()
            if tuple(logits.shape[-2:]) != (height, width):
                logits = F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
            labels = logits[0].argmax(dim=0).cpu().numpy().astype(np.int64)
        levels = [LevelEnergy(int(s), int(t.shape[1]), t[0].float().abs().mean(dim=0).cpu().numpy())
                  for s, t in features.levels]
    return PriorView(labels, levels)


def fractions_by_name(labels: np.ndarray, num_classes: int | None, names: tuple[str, ...] | None) -> dict[str, float]:
    """``{class name: pixel fraction}`` of the classes present, most pixels first."""
    return {entry.name: float(entry.fraction or 0.0) for entry in present_classes(labels, names, num_classes)}


def class_image(view: PriorView, image: np.ndarray, prior: ImagePrior, alpha: float = 0.5) -> np.ndarray | None:
    """The class map over the image with its legend (None for a prior without logits)."""
    if view.labels is None:
        return None
    return class_panel(image, view.labels, prior.class_names, prior.num_classes, alpha)


def levels_image(view: PriorView, image: np.ndarray) -> np.ndarray | None:
    """The energy strip of every level at the image's aspect ratio (None for a prior without levels)."""
    if not view.levels:
        return None
    height = min(image.shape[0], MAX_TILE_HEIGHT)
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return energy_strip([(f"stride {lv.stride} · {lv.channels} ch", lv.energy) for lv in view.levels], height, width)
