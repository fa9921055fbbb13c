"""ESPNetv2's segmentation decoder parts: the efficient pyramid pooling (EPP) module and the gated skip projection.

EPP projects its input to a few channels, looks at it at five scales (×2, ×1.5, ×1, ×0.5, ×0.1 of its size, at
least 5×5 — enlarged by bilinear resampling, shrunk by adaptive average pooling, one depthwise 3×3 each, then back
to the input size), and merges the scales with a channel shuffle and a grouped 3×3 convolution before a 1×1
projection. The skip projection scales a grouped 3×3 convolution of an encoder level by a sigmoid gate computed
from that level's global average.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .units import ChannelShuffle, SeqConvUnit, SeqNormAct, conv

PYRAMID_SCALES = (2.0, 1.5, 1.0, 0.5, 0.1)
#: the smallest side a pyramid scale is computed at
MIN_SIDE = 5


def resize(x: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinear with aligned corners — the resampling ESPNetv2 uses everywhere."""
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=True)


class EfficientPyramidPool(nn.Module):
    """``forward(B×in×H×W) -> B×out×H×W``; ``last_norm``: finish with batch norm + PReLU (all but the last EPP)."""

    def __init__(self, in_ch: int, proj_ch: int, out_ch: int, scales: Sequence[float] = PYRAMID_SCALES,
                 last_norm: bool = True) -> None:
        super().__init__()
        self.scales = tuple(sorted((float(s) for s in scales), reverse=True))
        count = len(self.scales)
        self.stages = nn.ModuleList(conv(proj_ch, proj_ch, 3, groups=proj_ch) for _ in self.scales)
        self.projection_layer = SeqConvUnit(in_ch, proj_ch, 1)
        self.merge_layer = nn.Sequential(
            SeqNormAct(proj_ch * count),
            ChannelShuffle(count),
            SeqConvUnit(proj_ch * count, proj_ch, 3, groups=proj_ch),
            nn.Conv2d(proj_ch, out_ch, 1, bias=not last_norm),
        )
        if last_norm:
            self.br = SeqNormAct(out_ch)

    def _at_scale(self, x: Tensor, scale: float, stage: nn.Module) -> Tensor:
        height, width = x.shape[-2:]
        size = (max(int(math.ceil(height * scale)), MIN_SIDE), max(int(math.ceil(width * scale)), MIN_SIDE))
        if scale < 1.0:
            return resize(stage(F.adaptive_avg_pool2d(x, size)), (height, width))
        if scale > 1.0:
            return F.adaptive_avg_pool2d(stage(resize(x, size)), (height, width))
        return stage(x)

    def forward(self, x: Tensor) -> Tensor:
        x = self.projection_layer(x)
        out = self.merge_layer(torch.cat([self._at_scale(x, s, stage) for s, stage in zip(self.scales, self.stages)],
                                         dim=1))
        return self.br(out) if hasattr(self, "br") else out


class GatedProjection(nn.Module):
    """``forward(B×in×H×W) -> B×out×H×W``: grouped 3×3 conv + BN + PReLU, scaled per channel by
    ``sigmoid(W · global_avg(x))``."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.wt_layer = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_ch, out_ch, 1, bias=False), nn.Sigmoid())
        self.expansion_layer = SeqConvUnit(in_ch, out_ch, 3, groups=math.gcd(in_ch, out_ch))

    def forward(self, x: Tensor) -> Tensor:
        return self.expansion_layer(x) * self.wt_layer(x)


def norm_act(channels: int) -> nn.Sequential:
    """Batch norm + PReLU as a bare sequence (the decoder's fusion points)."""
    return nn.Sequential(nn.BatchNorm2d(channels), nn.PReLU(channels))
