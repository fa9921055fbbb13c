"""A plain U-Net enhancer: the no-prior baseline row and the model that carries the spine's end-to-end path."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from llie.interfaces import Enhancer, PriorFeatures, Retinex


def _conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
    )


class UNet(Enhancer):
    """Encoder–decoder with skip connections predicting a residual on the input.

    Args:
        base_channels: width of the first level; each downsampling doubles it.
        depth: number of downsamplings (the input must be divisible by ``2**depth``; the model pads).
        residual: predict ``x + f(x)`` rather than ``f(x)`` — converges faster from random init.
    """

    uses_prior = False

    def __init__(self, base_channels: int = 16, depth: int = 3, residual: bool = True) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"UNet depth must be >= 1, got {depth}")
        self.pad_multiple = 2 ** depth
        self.residual = residual
        widths = [base_channels * 2 ** i for i in range(depth + 1)]
        self.stem = _conv_block(3, widths[0])
        self.down = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1) for i in range(depth))
        self.enc = nn.ModuleList(_conv_block(widths[i + 1], widths[i + 1]) for i in range(depth))
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth)))
        self.dec = nn.ModuleList(_conv_block(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], 3, 3, padding=1)

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        feats = [self.stem(x)]
        for down, enc in zip(self.down, self.enc):
            feats.append(enc(down(feats[-1])))
        y = feats.pop()
        for up, dec in zip(self.up, self.dec):
            y = dec(torch.cat([up(y), feats.pop()], dim=1))
        out = self.head(y)
        return x + out if self.residual else out
