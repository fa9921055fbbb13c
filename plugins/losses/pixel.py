"""Pixel-wise reconstruction loss: the anchor term of every LLIE training recipe."""
from __future__ import annotations

from torch import Tensor

from llie.interfaces import Loss, LossContext

from .penalties import check_kind, penalty


class PixelLoss(Loss):
    """``weight · mean(ρ(pred − target))`` with ρ = L1, Charbonnier (``sqrt(d² + eps²) − eps``) or L2."""

    name = "pixel"

    def __init__(self, weight: float = 1.0, kind: str = "l1", eps: float = 1e-3, name: str | None = None) -> None:
        super().__init__(weight, name)
        self.kind = check_kind(kind, "PixelLoss")
        self.eps = float(eps)

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext | None = None) -> Tensor:
        return self.weight * penalty(pred - target, self.kind, self.eps)
