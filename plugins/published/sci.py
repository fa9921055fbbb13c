"""SCI: self-calibrated illumination learning (Ma et al., CVPR 2022), its inference-time network.

SCI trains a weight-shared illumination estimator together with a self-calibration module; at test time only the
estimator runs (the authors' ``Finetunemodel``): ``i = clamp(net(x) + x, 1e-4, 1)``, output ``r = clamp(x / i, 0, 1)``.
The released files also hold the calibration module under ``calibrate.*``; it is training-only and skipped by name,
as the authors' test script skips it.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from llie.errors import ConfigError
from llie.interfaces import PriorFeatures, Retinex

from .frozen import PublishedEnhancer

#: the illumination floor of the authors' forward pass: keeps ``x / i`` finite in black regions
MIN_ILLUMINATION = 1e-4


def _conv3x3(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, padding=1)


class IlluminationEstimator(nn.Module):
    """conv 3→c + ReLU, then one conv+BN+ReLU block added residually ``repeats`` times (the same weights each time),
    conv c→3 + sigmoid; the result is added to the input and clamped to ``[1e-4, 1]``.

    The repeated block is registered both as ``conv`` and as each ``blocks.<n>``, the parameter names under which
    the authors' files store it (twice, with equal values).
    """

    def __init__(self, channels: int = 3, repeats: int = 1) -> None:
        super().__init__()
        self.in_conv = nn.Sequential(_conv3x3(3, channels), nn.ReLU())
        self.conv = nn.Sequential(_conv3x3(channels, channels), nn.BatchNorm2d(channels), nn.ReLU())
        self.blocks = nn.ModuleList([self.conv] * repeats)
        self.out_conv = nn.Sequential(_conv3x3(channels, 3), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        features = self.in_conv(x)
        for block in self.blocks:
            features = features + block(features)
        return torch.clamp(self.out_conv(features) + x, MIN_ILLUMINATION, 1.0)


class SCI(PublishedEnhancer):
    """SCI's enhancer: ``x / i`` with the estimated illumination ``i``, clamped to ``[0, 1]``; any image size.

    Args:
        pretrained: a zoo name (``sci_easy``, ``sci_medium`` — the authors' default —, ``sci_difficult``: the three
            released variants, trained on the easy / medium / difficult data of the paper; same architecture) or a
            path; null trains from a random initialisation (the illumination network only: SCI's self-calibration
            module and its losses are not part of this enhancer).
        finetune: keep loaded weights trainable (default: frozen, inference only).
        channels, repeats: the estimator's width and block repeats (3 and 1 in every released file).

    ``loss_outputs()`` exposes the last illumination map under ``"illumination"``.
    """

    uses_prior = False

    def __init__(self, pretrained: str | None = "sci_medium", finetune: bool = False, channels: int = 3,
                 repeats: int = 1) -> None:
        super().__init__()
        if channels < 1 or repeats < 0:
            raise ConfigError(f"SCI needs channels >= 1 and repeats >= 0; got channels={channels}, repeats={repeats}")
        self.enhance = IlluminationEstimator(channels, repeats)
        self.load_weights(pretrained, finetune, drop_prefixes=("calibrate.",))

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        illumination = self.enhance(x)
        self.remember(illumination=illumination)
        return torch.clamp(x / illumination, 0.0, 1.0)

