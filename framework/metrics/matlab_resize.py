"""MATLAB's ``imresize`` with the bicubic kernel (and antialiasing when shrinking), vectorised.

NIQE's second scale is the image shrunk by 0.5 this way; OpenCV's and torch's bicubic differ from MATLAB's (no
antialiasing, other border rules), which would move the score. Each output pixel is a weighted sum of the input
pixels around it along one axis: MATLAB's cubic (a = -0.5), widened by ``1/scale`` when shrinking with antialiasing,
the weights of each output pixel normalised to sum to 1, positions outside the image mirrored back in (symmetric,
half-sample), taps whose weight is zero for every output pixel dropped. Height is resized first, then width.

Arithmetic follows the input's dtype. float64 is MATLAB's. float32 is BasicSR's ``imresize`` (its reimplementation
of MATLAB's, which NIQE's reference computes with): weights computed in float32, the height pass rounded to float32
before the width pass, each output pixel one float32 dot product of its taps. All output pixels' dot products are
taken by one batched matrix product per axis instead of one matrix-vector product per output row or column, with
the same operands — on the machine the references were made on the float32 results are bit for bit BasicSR's, which
matters for NIQE, whose shape fit snaps to a grid (see :mod:`llie.metrics.niqe`). The two precisions differ by about
one float32 rounding (1e-7 relative).
"""
from __future__ import annotations

import functools
import math

import torch
from torch import Tensor

KERNEL_WIDTH = 4  # the bicubic kernel's support, in input pixels


def cubic(x: Tensor) -> Tensor:
    """MATLAB's bicubic kernel (Keys, a = -0.5)."""
    ax = x.abs()
    ax2, ax3 = ax**2, ax**3
    inner = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1).to(ax.dtype)
    outer = (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)).to(ax.dtype)
    return inner + outer


def mirrored(indices: Tensor, length: int) -> Tensor:
    """0-based positions folded into ``[0, length)`` by symmetric (half-sample) mirroring, as MATLAB pads."""
    period = indices.remainder(2 * length)
    return torch.where(period < length, period, 2 * length - 1 - period)


def output_size(length: int, scale: float) -> int:
    """MATLAB's output length for a scale factor: ``ceil(length · scale)``."""
    return math.ceil(length * scale)


@functools.lru_cache(maxsize=64)
def resize_taps(in_length: int, out_length: int, scale: float, antialiasing: bool = True,
                dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor]:
    """Weights (``out × taps``, in ``dtype``, rows summing to 1) and 0-based input indices of one axis' resize."""
    shrink = scale < 1 and antialiasing
    width = KERNEL_WIDTH / scale if shrink else KERNEL_WIDTH
    centre = torch.linspace(1, out_length, out_length, dtype=dtype) / scale + 0.5 * (1 - 1 / scale)  # 1-based
    taps = math.ceil(width) + 2
    indices = torch.floor(centre - width / 2)[:, None] + torch.linspace(0, taps - 1, taps, dtype=dtype)
    distance = centre[:, None] - indices
    weights = scale * cubic(distance * scale) if shrink else cubic(distance)
    weights = weights / weights.sum(dim=1, keepdim=True)
    used = (weights != 0).any(dim=0)
    return weights[:, used].contiguous(), mirrored(indices[:, used].long() - 1, in_length)


def imresize(image: Tensor, scale: float, antialiasing: bool = True) -> Tensor:
    """Resize the last two axes of ``image`` (``…×H×W``) by ``scale`` as MATLAB's ``imresize(·, scale, 'bicubic')``.

    Computed in float32 for float32 input and in float64 otherwise (see the module docstring); not clipped or rounded.
    """
    if scale <= 0:
        raise ValueError(f"imresize: scale must be positive, got {scale}")
    dtype = torch.float32 if image.dtype == torch.float32 else torch.float64
    *lead, height, width = image.shape
    planes = image.to(dtype).reshape(-1, height, width)
    row_w, row_i = (t.to(image.device) for t in
                    resize_taps(height, output_size(height, scale), float(scale), antialiasing, dtype))
    col_w, col_i = (t.to(image.device) for t in
                    resize_taps(width, output_size(width, scale), float(scale), antialiasing, dtype))
    # height: one (1 × taps) @ (taps × W) product per output row; then width: (1 × taps) @ (taps × H') per column
    rows = torch.matmul(row_w[:, None, :], planes[:, row_i])[:, :, 0]  # B × H' × W
    cols = torch.matmul(col_w[:, None, :], rows[:, :, col_i].permute(0, 2, 3, 1))[:, :, 0]  # B × W' × H'
    return cols.transpose(1, 2).reshape(*lead, rows.shape[1], cols.shape[1])
