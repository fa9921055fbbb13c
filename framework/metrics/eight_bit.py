"""The 8-bit values an image in [0, 1] stands for: ``round(x · 255)``, half to even like numpy/``img_as_ubyte``.

Both metric protocols score SSIM (and BasicSR also PSNR) on these levels, so one pixel rounded the wrong way moves
the result. Float64 inputs are rounded in float64 (the product ``x · 255`` is exact there). Float32 inputs are rounded
in float32, which is exact except where float32 rounds the product onto a half-integer: those pixels (about one in
10⁵ for arbitrary floats, none for images that came from 8-bit files) are detected and rounded again in float64.
"""
from __future__ import annotations

import torch
from torch import Tensor

PEAK_8BIT = 255.0


def eight_bit_levels(x: Tensor) -> Tensor:
    """``round(x · 255)`` for ``x`` already clamped to [0, 1], in ``x``'s dtype (float32 or float64), exactly."""
    if x.dtype == torch.float64:
        return torch.round(x * PEAK_8BIT)
    if x.dtype != torch.float32:
        x = x.to(torch.float32)  # half / bfloat16 / integers: float32 holds them exactly
    scaled = x * PEAK_8BIT
    levels = torch.round(scaled)
    residual = scaled.sub_(levels)  # |residual| == 0.5 only where float32 landed on a tie
    low, high = torch.aminmax(residual)
    if low.item() == -0.5 or high.item() == 0.5:
        ties = residual.abs_() == 0.5
        levels[ties] = torch.round(x[ties].to(torch.float64) * PEAK_8BIT).to(torch.float32)
    return levels
