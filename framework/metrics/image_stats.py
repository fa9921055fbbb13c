"""Cheap per-image statistics of an input image: how bright it is and how noisy it is.

They describe the *input*, not a result, and are meant to be computed inside a forward pass (a gate deciding how far
to trust a prior, a table column explaining a score): both are vectorised over the batch, run on the input's device
and cost a few elementwise passes and one median per image (≈ 20 ms for a 600×400 image on one CPU thread).

* :func:`mean_luminance` — mean Rec. 601 luma ``0.299 R + 0.587 G + 0.114 B`` (no offset, on the [0, 1] scale).
* :func:`noise_sigma` — Immerkær's estimate of the standard deviation of additive white Gaussian noise on that luma
  ("Fast noise variance estimation", CVIU 1996; independent RGB noise of std σ leaves ≈ 0.668 σ on the luma):
  filter with the difference of two Laplacians ``[[1, -2, 1], [-2, 4, -2], [1, -2, 1]]`` (it annihilates constant,
  linear and bilinear image content; its L2 norm is 6, so white noise of std σ gives a response of std 6σ).
  Immerkær averages ``|response|``; by default the *median* is used instead (``robust=True``:
  ``σ = median|r| / (6 · 0.6745)``, 0.6745 being the median of ``|N(0,1)|``), which edges and texture — a minority
  of pixels with large responses — barely move.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

#: Rec. 601 luma weights (R, G, B)
LUMA_WEIGHTS = (0.299, 0.587, 0.114)
#: the median of |N(0, 1)|: converts a median absolute deviation to a standard deviation
MAD_TO_SIGMA = 0.6744897501960817
_IMMERKAER_NORM = 6.0  # sqrt of the sum of the squared taps of [[1, -2, 1], [-2, 4, -2], [1, -2, 1]]


def luminance(x: Tensor) -> Tensor:
    """``B×3×H×W`` RGB (or ``B×1×H×W`` gray) in [0, 1] → ``B×1×H×W`` Rec. 601 luma, in float32 at least."""
    if not x.is_floating_point() or x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    if x.shape[1] == 1:
        return x
    weights = torch.tensor(LUMA_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x[:, :3] * weights).sum(dim=1, keepdim=True)


def second_difference(x: Tensor, dim: int) -> Tensor:
    """``x[i] - 2 x[i+1] + x[i+2]`` along ``dim`` (valid region): one factor of the separable Immerkær kernel, which
    is the outer product ``[1, -2, 1]ᵀ [1, -2, 1]`` — two such passes cost less than a 3×3 convolution."""
    n = x.shape[dim]
    return x.narrow(dim, 0, n - 2) - 2 * x.narrow(dim, 1, n - 2) + x.narrow(dim, 2, n - 2)


def mean_luminance(x: Tensor) -> Tensor:
    """Mean luma of each image: ``Tensor[B]`` in [0, 1]."""
    return luminance(x).mean(dim=(1, 2, 3))


def noise_sigma(x: Tensor, robust: bool = True) -> Tensor:
    """Estimated std of additive white Gaussian noise of each image's luma: ``Tensor[B]``, on the [0, 1] scale.

    ``robust=False`` is Immerkær's original mean-absolute form ``σ = √(π/2) · mean|r| / 6``. Images smaller than
    3×3 give 0 (nothing to measure).
    """
    luma = luminance(x)
    if luma.shape[-1] < 3 or luma.shape[-2] < 3:
        return luma.new_zeros(luma.shape[0])
    response = second_difference(second_difference(luma, -1), -2).abs().flatten(1)
    if robust:
        return response.median(dim=1).values / (_IMMERKAER_NORM * MAD_TO_SIGMA)
    return response.mean(dim=1) * math.sqrt(math.pi / 2) / _IMMERKAER_NORM
