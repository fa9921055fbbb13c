"""Illumination adjusters: turn the low-light illumination map into the one the enhanced image should have."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.errors import ConfigError
from llie.interfaces import IlluminationAdjuster

#: smallest illumination an adjuster returns, so the output stays in (0, 1] even where a sigmoid underflows
MIN_ILLUMINATION = 1e-4


class GammaIllumination(IlluminationAdjuster):
    """``L^gamma`` (training-free): gamma < 1 lifts dark regions far more than bright ones."""

    def __init__(self, gamma: float = 0.4) -> None:
        super().__init__()
        if gamma <= 0:
            raise ConfigError(f"GammaIllumination: gamma must be > 0, got {gamma}")
        self.gamma = float(gamma)

    def forward(self, illumination: Tensor, low: Tensor | None = None) -> Tensor:
        return illumination.clamp(MIN_ILLUMINATION, 1.0).pow(self.gamma)


class LearnedIllumination(IlluminationAdjuster):
    """A small encoder–decoder in the spirit of RetinexNet's RelightNet.

    Input: the illumination concatenated with the low-light image (4 channels). Two stride-2 stages give context,
    the decoder upsamples with skip connections, and a sigmoid bounds the result to ``(0, 1]``. Any H×W works.
    """

    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        c = int(channels)
        self.stem = nn.Sequential(nn.Conv2d(4, c, 3, padding=1), nn.ReLU(inplace=True))
        self.down1 = nn.Sequential(nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(inplace=True))
        self.down2 = nn.Sequential(nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(inplace=True))
        self.up1 = nn.Sequential(nn.Conv2d(2 * c, c, 3, padding=1), nn.ReLU(inplace=True))
        self.up0 = nn.Sequential(nn.Conv2d(2 * c, c, 3, padding=1), nn.ReLU(inplace=True))
        self.head = nn.Conv2d(c, 1, 3, padding=1)

    @staticmethod
    def _up_cat(x: Tensor, skip: Tensor) -> Tensor:
        return torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False), skip], 1)

    def forward(self, illumination: Tensor, low: Tensor) -> Tensor:
        if illumination.shape[1] != 1:  # a colour illumination map enters as its mean
            illumination = illumination.mean(dim=1, keepdim=True)
        f0 = self.stem(torch.cat([illumination, low], dim=1))
        f1 = self.down1(f0)
        f2 = self.down2(f1)
        u1 = self.up1(self._up_cat(f2, f1))
        u0 = self.up0(self._up_cat(u1, f0))
        return torch.sigmoid(self.head(u0)).clamp(MIN_ILLUMINATION, 1.0)
