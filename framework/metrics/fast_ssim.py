"""SSIM of 8-bit images in float32: within ~1e-7 of the float64 computation on natural images, 3-4× cheaper.

Float32 has 24 bits of mantissa; 8-bit SSIM filters squares of values up to 255², and the variance
``E[x²] − E[x]²`` cancels most of those bits in flat regions. Two rearrangements keep the cancellation small:

1. **Centring.** Variances and covariances do not change when a constant is subtracted, so each image channel is
   shifted by its own rounded mean before squaring. The shifted values are still exact integers in float32, and the
   filtered squares are smaller by the squared offset.
2. **Sum and difference.** With ``s = x + y`` and ``d = x − y`` the SSIM's contrast-structure term is
   ``(Var s − Var d + 2 C2) / (Var s + Var d + 2 C2)`` and its luminance term
   ``(μs² − μd² + 2 C1) / (μs² + μd² + 2 C1)``. For a good prediction ``d`` is small, so ``Var d`` is accurate, and an
   error in ``Var s`` moves the result only in proportion to ``Var d``. Four filtered maps (``s, d, s², d²``) replace
   the usual five.

What remains is float32 rounding inside the Gaussian filter. Measured against the float64 path: ≤ 3e-7 on the LOL
pairs and scikit-image's photos; synthetic worst cases made of large flat regions at two extreme grey levels reach a
few 1e-6. ``precision='exact'`` in :mod:`framework.metrics.functional` is the float64 reference.

The work is arranged in as few full-image passes as possible (rounding, clamping and centring are one fused pass
each), because on a CPU every pass over a dozen image-sized planes costs about as much as the arithmetic.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .gaussian_filter import filter_valid

_PEAK_8BIT = 255.0
SSIM_C1 = (0.01 * _PEAK_8BIT) ** 2
SSIM_C2 = (0.03 * _PEAK_8BIT) ** 2


def ssim_8bit_fast(x: Tensor, y: Tensor) -> Tensor:
    """Mean SSIM per image (``Tensor[B]`` float64) of ``B×C×H×W`` batches already on the 0..255 scale.

    ``x``/``y`` are normally 8-bit levels (exact integers); the unrounded BT.601 luma of 8-bit levels works too.
    """
    x, y = x.to(torch.float32), y.to(torch.float32)
    centre_x, centre_y = _centre(x, _PEAK_8BIT), _centre(y, _PEAK_8BIT)
    return _ssim_centred(x - centre_x, y - centre_y, centre_x, centre_y)


def ssim_fast_from_unit(pred: Tensor, gt: Tensor, clamped: bool = False) -> Tensor:
    """Like :func:`ssim_8bit_fast` for images in [0, 1]: clamping, ``round(· × 255)`` and centring in one pass each.

    Pass ``clamped=True`` when the images are already clamped to [0, 1] to skip that pass. The result equals rounding
    to 8-bit levels first except exactly on a half-integer (a float32 tie, ~1e-5 of arbitrary float pixels), where
    the centring shift may round to the other neighbour; the SSIM moves by ~1e-9 per such pixel.
    """
    pred, gt = pred.to(torch.float32), gt.to(torch.float32)
    centre_x, centre_y = _centre(pred, 1.0), _centre(gt, 1.0)
    x, y = _centred_levels(pred, centre_x, clamped), _centred_levels(gt, centre_y, clamped)
    return _ssim_centred(x, y, centre_x, centre_y)


def _centre(x: Tensor, peak: float) -> Tensor:
    """An integer level near the mean of each image channel (``B×C×1×1``) on the 0..255 scale; ``x`` is on 0..peak.

    Any integer level would do (variances do not change with it); one close to the local values keeps them small.
    Taken from every 8th row of the clamped image, so it depends on the clamped values only (an input and its
    clamped copy score identically) and costs an eighth of a pass.
    """
    sample = x[..., ::8, :].clamp(0.0, peak)
    return sample.mean(dim=(2, 3), keepdim=True).mul_(_PEAK_8BIT / peak).round_()


def _centred_levels(x: Tensor, centre: Tensor, clamped: bool = False) -> Tensor:
    """``round(clamp(x, 0, 1) × 255) − centre`` computed as ``round(clamp(x, 0, 1) × 255 − centre)`` (exact ints)."""
    return torch.add(-centre, x if clamped else x.clamp(0.0, 1.0), alpha=_PEAK_8BIT).round_()


def _ssim_centred(x: Tensor, y: Tensor, centre_x: Tensor, centre_y: Tensor) -> Tensor:
    """SSIM from images shifted by per-channel constants (``x − centre_x`` etc.); see the module docstring.

    Each pixel's SSIM is written as ``1 − e`` with ``e = A + B·(1 − A)``, ``A = 1 − luminance`` and
    ``B = 1 − contrast-structure``; the deficits ``e`` are what float32 carries and sums, so a near-perfect
    prediction keeps float32's relative precision on the small deficit instead of losing it next to 1.
    """
    batch = x.shape[0]
    maps = torch.empty((batch, 4, *x.shape[1:]), dtype=torch.float32, device=x.device)
    s, d, s_sq, d_sq = maps.unbind(dim=1)
    torch.add(x, y, out=s)
    torch.sub(x, y, out=d)
    torch.mul(s, s, out=s_sq)
    torch.mul(d, d, out=d_sq)

    # Centred E[s], E[d], E[s²] + 2·C2 (the constant is added by the filter), E[d²].
    delta = torch.zeros(maps.shape[:-2], dtype=torch.float32, device=x.device)
    delta[:, 2] = 2 * SSIM_C2
    mu_s, mu_d, e_ss, e_dd = filter_valid(maps, delta).unbind(dim=1)
    var_s = torch.addcmul(e_ss, mu_s, mu_s, value=-1)  # Var(x+y) + 2·C2
    var_d = torch.addcmul(e_dd, mu_d, mu_d, value=-1)  # Var(x−y)
    cs_den = var_s.add_(var_d)
    half_structure_deficit = var_d.div_(cs_den)  # B/2, B = 2·Var(x−y) / (Var(x+y) + Var(x−y) + 2·C2)

    mu_s = mu_s.add_(centre_x + centre_y)  # uncentred means for the luminance term
    mu_d = mu_d.add_(centre_x - centre_y)
    lum_den = torch.addcmul(torch.full((), 2 * SSIM_C1, device=x.device), mu_s, mu_s).addcmul_(mu_d, mu_d)
    half_luminance_deficit = mu_d.mul_(mu_d).div_(lum_den)  # A/2, A = 2·μd² / (μs² + μd² + 2·C1)

    # e/2 = A/2 + (B/2)·(1 − A), with 1 − A = 1 − 2·(A/2)
    half_deficit = torch.addcmul(half_luminance_deficit, half_structure_deficit,
                                 torch.rsub(half_luminance_deficit, 1.0, alpha=2.0))
    # Rows of at most a few thousand values summed in float32, then the row sums in float64.
    total = half_deficit.sum(dim=-1).reshape(batch, -1).sum(dim=1, dtype=torch.float64)
    return 1.0 - 2.0 * total / half_deficit[0].numel()
