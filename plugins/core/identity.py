"""The "no Retinex" decomposition, so ablations without a decomposer share the model's code path."""
from __future__ import annotations

from torch import Tensor

from llie.interfaces import Decomposer, Retinex


class IdentityDecomposer(Decomposer):
    """Reflectance = the input, illumination = ones (``B×1×H×W``); nothing to train."""

    trainable = False

    def forward(self, x: Tensor) -> Retinex:
        return Retinex(reflectance=x, illumination=x.new_ones(x.shape[0], 1, *x.shape[-2:]))
