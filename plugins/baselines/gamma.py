"""Gamma correction: the simplest training-free brightening baseline."""
from __future__ import annotations

import torch
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Enhancer, PriorFeatures, Retinex


class GammaCorrection(Enhancer):
    """``out = clamp(x, 0, 1) ** gamma`` per channel (``gamma < 1`` brightens).

    Args:
        gamma: the fixed exponent, used when ``auto`` is False.
        auto: choose one gamma per image so that the output's mean (over pixels and channels) equals
            ``target_mean``; found by bisection on ``log gamma`` (the mean of ``x**g`` falls monotonically in ``g``).
        target_mean: the brightness ``auto`` aims for.
        iterations: bisection steps (each halves the log-gamma interval [1/64, 64]).
    """

    uses_prior = False
    trainable = False

    def __init__(self, gamma: float = 0.45, auto: bool = False, target_mean: float = 0.45,
                 iterations: int = 24) -> None:
        super().__init__()
        if gamma <= 0 or not 0 < target_mean < 1:
            raise ConfigError(f"GammaCorrection needs gamma > 0 and 0 < target_mean < 1; got gamma={gamma}, "
                              f"target_mean={target_mean}")
        self.gamma, self.auto = float(gamma), bool(auto)
        self.target_mean, self.iterations = float(target_mean), int(iterations)

    def gammas(self, x: Tensor) -> Tensor:
        """One exponent per image, shape ``B×1×1×1``."""
        if not self.auto:
            return torch.full((x.shape[0], 1, 1, 1), self.gamma, device=x.device, dtype=x.dtype)
        x = x.detach().clamp(0.0, 1.0)
        low = torch.full((x.shape[0], 1, 1, 1), -4.1589, device=x.device, dtype=x.dtype)  # log(1/64)
        high = -low
        for _ in range(self.iterations):
            mid = (low + high) / 2
            too_bright = x.pow(mid.exp()).mean(dim=(1, 2, 3), keepdim=True) > self.target_mean
            low, high = torch.where(too_bright, mid, low), torch.where(too_bright, high, mid)
        return ((low + high) / 2).exp()

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        return x.clamp(0.0, 1.0).pow(self.gammas(x))
