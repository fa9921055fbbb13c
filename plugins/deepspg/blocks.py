"""The backbone blocks of the semantic-aware enhancer (one per ``block_type``).

* ``'mdta'`` — Restormer's transformer block: LayerNorm → multi-Dconv-head transposed attention (channel attention)
  → residual, LayerNorm → gated-dconv FFN → residual. Global context at linear cost in HW. *Assumed* default.
* ``'conv'`` — a residual conv block (3×3 → GELU → 3×3): the cheapest choice on CPU, no attention glue at all.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from llie.errors import ConfigError

from llie.layers import LayerNorm2d

from .layers import ATTENTION_SCALINGS, GatedDConvFFN, channel_attention, check_heads, conv_channels

BLOCK_TYPES = ("mdta", "conv")


class ChannelSelfAttention(nn.Module):
    """MDTA: q, k, v from the same features (1×1 + 3×3 depthwise), channel attention, 1×1 projection."""

    def __init__(self, dim: int, heads: int, scaling: str = "l2") -> None:
        super().__init__()
        check_heads(dim, heads, "SemanticAwareEnhancer block")
        self.heads, self.scaling = heads, scaling
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, 3 * dim, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(3 * dim, 3 * dim, 3, padding=1, groups=3 * dim, bias=False)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=False)

    def _part(self, x: Tensor, index: int) -> Tensor:
        """q (0), k (1) or v (2) alone: equal to chunking the full projection, without the 3×-wide tensor."""
        dim = self.project_out.in_channels
        start, stop = index * dim, (index + 1) * dim
        return conv_channels(self.qkv_dwconv, conv_channels(self.qkv, x, start, stop), start, stop)

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self._part(x, 0), self._part(x, 1), self._part(x, 2)
        return self.project_out(channel_attention(q, k, v, self.heads, self.temperature, self.scaling))


class TransformerBlock(nn.Module):
    """Pre-norm MDTA + gated-dconv FFN, each with a residual connection."""

    def __init__(self, dim: int, heads: int, ffn_expansion: float, scaling: str = "l2") -> None:
        super().__init__()
        self.norm1, self.attn = LayerNorm2d(dim), ChannelSelfAttention(dim, heads, scaling)
        self.norm2, self.ffn = LayerNorm2d(dim), GatedDConvFFN(dim, ffn_expansion)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class ConvResidualBlock(nn.Module):
    """``x + conv(gelu(conv(x)))`` — a plain residual block for CPU-cheap configurations."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.GELU(), nn.Conv2d(dim, dim, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def make_blocks(block_type: str, count: int, dim: int, heads: int, ffn_expansion: float,
                scaling: str = "l2") -> nn.Sequential:
    """``count`` blocks of ``block_type`` at width ``dim`` (an empty Sequential is the identity)."""
    if block_type not in BLOCK_TYPES:
        raise ConfigError(f"SemanticAwareEnhancer block_type '{block_type}' is unknown; use one of {BLOCK_TYPES}")
    if scaling not in ATTENTION_SCALINGS:
        raise ConfigError(f"SemanticAwareEnhancer attention_scaling '{scaling}' is unknown; "
                          f"use one of {ATTENTION_SCALINGS}")
    if block_type == "conv":
        return nn.Sequential(*(ConvResidualBlock(dim) for _ in range(count)))
    return nn.Sequential(*(TransformerBlock(dim, heads, ffn_expansion, scaling) for _ in range(count)))
