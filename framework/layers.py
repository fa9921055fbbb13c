"""Network layers shared by several plugins' models (kept here so one plugin never imports another)."""
from __future__ import annotations

import torch
from torch import Tensor, nn


class LayerNorm2d(nn.Module):
    """Restormer's 'WithBias' LayerNorm: normalise each pixel's channel vector of a ``B×C×H×W`` map, then scale and
    shift.

    Computed along dim 1 directly (no permute to channels-last), which measured faster on CPU than
    ``F.layer_norm`` on a permuted view.
    """

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        centred = x - x.mean(dim=1, keepdim=True)
        var = centred.pow(2).mean(dim=1, keepdim=True)
        return centred * torch.rsqrt(var + self.eps) * self.weight + self.bias
