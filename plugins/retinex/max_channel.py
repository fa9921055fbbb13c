"""Training-free Retinex decomposition from the max-RGB illumination estimate (as in LIME)."""
from __future__ import annotations

import torch
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Decomposer, Retinex

from .filters import gaussian_blur, guided_filter

SMOOTHINGS = ("none", "gaussian", "guided")


class MaxChannelDecomposer(Decomposer):
    """``L = smooth(max_c I_c)`` clamped to ``[eps, 1]``; ``R = clamp(I / L, 0, 1)``.

    Dividing by the clamped ``L`` (rather than by ``L + eps``) makes ``R ⊙ L = I`` exact without smoothing, because
    every channel is at most the max channel. Smoothing ('gaussian': σ = radius/2; 'guided': self-guided filter with
    regulariser ``guided_eps``) gives a piecewise-smooth illumination; where it drops below a pixel's value the
    reflectance saturates at 1.
    """

    trainable = False

    def __init__(self, smoothing: str = "none", eps: float = 1e-3, radius: int = 4, guided_eps: float = 1e-2) -> None:
        super().__init__()
        if smoothing not in SMOOTHINGS:
            raise ConfigError(f"MaxChannelDecomposer: smoothing '{smoothing}' is not one of {', '.join(SMOOTHINGS)}")
        if not 0 < eps < 1:
            raise ConfigError(f"MaxChannelDecomposer: eps must be in (0, 1), got {eps}")
        self.smoothing = smoothing
        self.eps = float(eps)
        self.radius = int(radius)
        self.guided_eps = float(guided_eps)

    def illumination(self, x: Tensor) -> Tensor:
        light = x.amax(dim=1, keepdim=True)
        if self.smoothing == "gaussian":
            light = gaussian_blur(light, self.radius / 2)
        elif self.smoothing == "guided":
            light = guided_filter(light, light, self.radius, self.guided_eps)
        return light.clamp(self.eps, 1.0)

    def forward(self, x: Tensor) -> Retinex:
        light = self.illumination(x)
        return Retinex(reflectance=torch.clamp(x / light, 0.0, 1.0), illumination=light)
