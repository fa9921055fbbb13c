"""Building blocks shared by the enhancer's backbone and its Semantic-aware Embedding Modules.

Everything works channels-first (``B×C×H×W``) so that the only reshapes are free views: on CPU, convolutions are
cheap while permutes and small-tensor glue are not (measured on a 2-core CPU).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ATTENTION_SCALINGS = ("l2", "sqrt_c")


def pointwise_then_depthwise(cin: int, cout: int) -> nn.Sequential:
    """1×1 conv followed by a 3×3 depthwise conv: Restormer's cheap way to add local context to q/k/v."""
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False),
                         nn.Conv2d(cout, cout, 3, padding=1, groups=cout, bias=False))


def channel_attention(q: Tensor, k: Tensor, v: Tensor, heads: int, temperature: Tensor,
                      scaling: str = "l2") -> Tensor:
    """Multi-head transposed (channel) attention: a ``C/heads × C/heads`` map per head instead of ``HW × HW``.

    ``q, k, v``: ``B×C×H×W``; ``temperature``: ``heads×1×1``. ``scaling='l2'`` L2-normalises q and k along HW and
    multiplies by the learnable temperature (Restormer / SKF); ``'sqrt_c'`` divides the raw dot products by
    ``√(C/heads)`` (the formula written in the DeepSPG summary), still times the temperature.
    Heads are a batch dimension of one matmul — no Python loop over heads.
    """
    b, c, h, w = q.shape
    shape = (b, heads, c // heads, h * w)
    q, k, v = q.reshape(shape), k.reshape(shape), v.reshape(shape)
    if scaling == "l2":
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        scale = temperature
    else:
        scale = temperature / math.sqrt(c // heads)
    attn = torch.softmax((q @ k.transpose(-2, -1)) * scale, dim=-1)
    return (attn @ v).reshape(b, c, h, w)


class GatedDConvFFN(nn.Module):
    """Restormer's gated-dconv feed-forward: 1×1 expand to two branches, 3×3 depthwise, GELU gate, 1×1 back."""

    def __init__(self, dim: int, expansion: float = 2.66) -> None:
        super().__init__()
        hidden = max(1, int(dim * expansion))
        self.project_in = nn.Conv2d(dim, 2 * hidden, 1, bias=False)
        self.dwconv = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=False)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        gate, value = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(gate) * value)


def check_heads(dim: int, heads: int, where: str) -> None:
    if heads < 1 or dim % heads:
        from llie.errors import ConfigError
        raise ConfigError(f"{where}: width {dim} is not divisible by heads={heads}; choose heads dividing the width")
