"""Edge loss: penalises differences of image gradients so that enhancement keeps structure sharp.

Gradients are taken **per RGB channel** (a depthwise filter): a colour edge between two equally bright regions is
an edge too, and a gray conversion would hide it. Borders use replicate padding, so two images that differ by a
constant have identical gradient maps everywhere (zero loss).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext

from .penalties import check_kind, penalty

OPERATORS = ("sobel", "laplacian")


def _operator_kernels(operator: str) -> Tensor:
    """``K×1×3×3`` kernels: Sobel x and y (K=2) or the 4-neighbour Laplacian (K=1)."""
    if operator == "sobel":
        gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
        return torch.stack([gx, gx.t()]).unsqueeze(1)
    if operator == "laplacian":
        return torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3) / 4.0
    raise ConfigError(f"EdgeLoss: operator '{operator}' is not one of {', '.join(OPERATORS)}")


def gradient_maps(x: Tensor, kernels: Tensor) -> Tensor:
    """``B×(C·K)×H×W`` responses of every channel of ``x`` to every kernel."""
    c = x.shape[1]
    weight = kernels.to(dtype=x.dtype, device=x.device).repeat(c, 1, 1, 1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=c)


class EdgeLoss(Loss):
    """``weight · mean(ρ(∇pred − ∇target))`` with ∇ = Sobel (x and y) or Laplacian, per channel."""

    name = "edge"

    def __init__(self, weight: float = 1.0, operator: str = "sobel", kind: str = "l1", eps: float = 1e-3,
                 name: str | None = None) -> None:
        super().__init__(weight, name)
        self.operator = operator
        self.kind = check_kind(kind, "EdgeLoss", allowed=("l1", "charbonnier"))
        self.eps = float(eps)
        self.register_buffer("kernels", _operator_kernels(operator), persistent=False)

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext | None = None) -> Tensor:
        diff = gradient_maps(pred, self.kernels) - gradient_maps(target, self.kernels)
        return self.weight * penalty(diff, self.kind, self.eps)
