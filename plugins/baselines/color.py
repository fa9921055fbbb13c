"""RGB ↔ YCbCr (BT.601, full range, values in [0, 1]) so contrast can be changed on luminance only."""
from __future__ import annotations

import torch
from torch import Tensor

_RGB_TO_YCBCR = torch.tensor([[0.299, 0.587, 0.114],
                              [-0.168736, -0.331264, 0.5],
                              [0.5, -0.418688, -0.081312]])
_YCBCR_TO_RGB = torch.linalg.inv(_RGB_TO_YCBCR)


def _mix(matrix: Tensor, x: Tensor) -> Tensor:
    return torch.einsum("ij,bjhw->bihw", matrix.to(device=x.device, dtype=x.dtype), x)


def rgb_to_ycbcr(rgb: Tensor) -> Tensor:
    """``B×3×H×W`` RGB → Y in [0, 1] and Cb, Cr centred on 0 (in [-0.5, 0.5])."""
    return _mix(_RGB_TO_YCBCR, rgb)


def ycbcr_to_rgb(ycbcr: Tensor) -> Tensor:
    """Inverse of :func:`rgb_to_ycbcr` (not clamped)."""
    return _mix(_YCBCR_TO_RGB, ycbcr)
