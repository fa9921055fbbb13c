"""Network layers shared by several plugins' models (kept here so one plugin never imports another)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LayerNorm2d(nn.Module):
    """Restormer's 'WithBias' LayerNorm: normalise each pixel's channel vector of a ``B×C×H×W`` map, then scale and
    shift.

    Two paths with the same result (to float rounding): a channels-last input is one fused ``F.layer_norm`` over
    its innermost (channel) dimension, read through a free permuted view; a contiguous input is normalised along
    dim 1 directly — no permute, which measured faster on CPU than ``F.layer_norm`` on a permuted copy (and far
    faster than ``var_mean`` along a strided dim) — and, without autograd, scaled and shifted in place.
    """

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        pixels_by_channels = x.permute(0, 2, 3, 1)
        if pixels_by_channels.is_contiguous():  # channels-last storage
            c = x.shape[1]
            out = F.layer_norm(pixels_by_channels, (c,), self.weight.view(c), self.bias.view(c), self.eps)
            return out.permute(0, 3, 1, 2)
        centred = x - x.mean(dim=1, keepdim=True)
        var = centred.square().mean(dim=1, keepdim=True)
        if torch.is_grad_enabled():
            return torch.addcmul(self.bias, centred * torch.rsqrt(var + self.eps), self.weight)
        return centred.mul_(torch.rsqrt(var.add_(self.eps))).mul_(self.weight).add_(self.bias)
