"""Building blocks shared by the enhancer's backbone and its Semantic-aware Embedding Modules.

Everything accepts channels-first (``B×C×H×W``) tensors in either memory layout, contiguous or channels-last, and
keeps the layout it is given; the reshapes of the attention are free views in both. On CPU, convolutions are cheap
while permutes and full-size element-wise glue are not (measured on a 2-core CPU), so the code avoids the glue: q/k/v and the
two halves of the feed-forward are computed one at a time from slices of the weights (never a full-width tensor then
chunked), and the L2 normalisation of q and k divides the small ``C×C`` map instead of two full-size tensors.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ATTENTION_SCALINGS = ("l2", "sqrt_c")
#: the ``eps`` of ``F.normalize``, which the folded L2 normalisation reproduces
NORM_EPS = 1e-12


def pointwise_then_depthwise(cin: int, cout: int) -> nn.Sequential:
    """1×1 conv followed by a 3×3 depthwise conv: Restormer's cheap way to add local context to q/k/v."""
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False),
                         nn.Conv2d(cout, cout, 3, padding=1, groups=cout, bias=False))


def conv_channels(conv: nn.Conv2d, x: Tensor, start: int, stop: int) -> Tensor:
    """``conv(x)[:, start:stop]`` without computing the other output channels.

    ``conv`` is a dense (``groups=1``) or depthwise (``groups == out_channels``) zero-padded conv; for a depthwise
    conv ``x`` holds only the matching input channels ``start:stop``. Equal to slicing the full output because every
    output channel of these convs depends on its own filter only.
    """
    depthwise = conv.groups > 1
    if (depthwise and conv.groups != conv.out_channels) or conv.padding_mode != "zeros":
        raise ValueError("conv_channels handles dense or depthwise zero-padded convolutions only")
    bias = None if conv.bias is None else conv.bias[start:stop]
    return F.conv2d(x, conv.weight[start:stop], bias, conv.stride, conv.padding, conv.dilation,
                    stop - start if depthwise else 1)


def projection_part(projection: nn.Sequential, x: Tensor, start: int, stop: int) -> Tensor:
    """Channels ``start:stop`` of a :func:`pointwise_then_depthwise` projection, computed alone."""
    pointwise, depthwise = projection
    return conv_channels(depthwise, conv_channels(pointwise, x, start, stop), start, stop)


def _is_channels_last(t: Tensor) -> bool:
    return t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last)


def _row_norms(t: Tensor) -> Tensor:
    """``max(‖row‖₂, eps)`` of each ``d×HW`` matrix: the diagonal of its ``d×d`` Gram matrix, one matmul that is
    fast in both memory layouts (a reduction along the strided pixel axis of a channels-last tensor is not)."""
    return torch.diagonal(t @ t.transpose(-2, -1), dim1=-2, dim2=-1).sqrt().clamp_min(NORM_EPS)


def channel_attention(q: Tensor, k: Tensor, v: Tensor, heads: int, temperature: Tensor,
                      scaling: str = "l2") -> Tensor:
    """Multi-head transposed (channel) attention: a ``C/heads × C/heads`` map per head instead of ``HW × HW``.

    ``q, k, v``: ``B×C×H×W``; ``temperature``: ``heads×1×1``. ``scaling='l2'`` L2-normalises q and k along HW and
    multiplies by the learnable temperature (Restormer / SKF); ``'sqrt_c'`` divides the raw dot products by
    ``√(C/heads)`` (the formula written in the DeepSPG summary), still times the temperature.
    Heads are a batch dimension of one matmul — no Python loop over heads. The output has ``v``'s memory layout.

    ``'l2'`` computes ``(q kᵀ) / (‖q‖ ‖k‖ᵀ)``, which equals ``normalize(q) normalize(k)ᵀ`` (same ``eps`` clamp)
    without writing two normalised full-size copies.
    """
    b, c, h, w = q.shape
    d = c // heads
    qh, kh, vh = (t.reshape(b, heads, d, h * w) for t in (q, k, v))  # views, for both memory layouts
    logits = qh @ kh.transpose(-2, -1)
    if scaling == "l2":
        q_norm, k_norm = _row_norms(qh), _row_norms(kh)
        logits = logits / (q_norm.unsqueeze(-1) * k_norm.unsqueeze(-2))
        scale = temperature
    else:
        scale = temperature / math.sqrt(d)
    attn = torch.softmax(logits * scale, dim=-1)
    if _is_channels_last(v):  # pixels × channels, written straight into the channels-last layout when heads == 1
        out = vh.transpose(-2, -1) @ attn.transpose(-2, -1)
        return out.transpose(1, 2).reshape(b, h, w, c).permute(0, 3, 1, 2)
    return (attn @ vh).reshape(b, c, h, w)


class GatedDConvFFN(nn.Module):
    """Restormer's gated-dconv feed-forward: 1×1 expand to two branches, 3×3 depthwise, GELU gate, 1×1 back.

    The gate and value branches are computed from slices of the weights (equal to computing both and chunking), so
    the full ``2×hidden``-channel tensor never exists. Without autograd, the hidden channels are further processed
    in ``inference_chunks`` groups whose 1×1 outputs are summed (the output projection split along its input
    channels: equal up to the order of float additions), and the product is taken in place: at full resolution the
    feed-forward is the enhancer's memory peak, and this lowers it from six hidden-width tensors to about one
    (measured: no slower, as the smaller tensors are reused from the heap instead of freshly mapped).
    """

    #: hidden-channel groups processed one after another without autograd (memory, not speed)
    inference_chunks = 3

    def __init__(self, dim: int, expansion: float = 2.66) -> None:
        super().__init__()
        hidden = max(1, int(dim * expansion))
        self.project_in = nn.Conv2d(dim, 2 * hidden, 1, bias=False)
        self.dwconv = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=False)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=False)

    def _branch(self, x: Tensor, start: int, stop: int) -> Tensor:
        return conv_channels(self.dwconv, conv_channels(self.project_in, x, start, stop), start, stop)

    def forward(self, x: Tensor) -> Tensor:
        hidden = self.project_out.in_channels
        if torch.is_grad_enabled():
            return self.project_out(F.gelu(self._branch(x, 0, hidden)) * self._branch(x, hidden, 2 * hidden))
        out = None
        bounds = [round(hidden * i / self.inference_chunks) for i in range(self.inference_chunks + 1)]
        for start, stop in zip(bounds[:-1], bounds[1:]):
            if stop <= start:
                continue
            gated = self._branch(x, hidden + start, hidden + stop).mul_(F.gelu(self._branch(x, start, stop)))
            part = F.conv2d(gated, self.project_out.weight[:, start:stop], None)
            out = part if out is None else out.add_(part)
        if self.project_out.bias is not None:
            out = out.add_(self.project_out.bias.view(1, -1, 1, 1))
        return out


def check_heads(dim: int, heads: int, where: str) -> None:
    if heads < 1 or dim % heads:
        from llie.errors import ConfigError
        raise ConfigError(f"{where}: width {dim} is not divisible by heads={heads}; choose heads dividing the width")
