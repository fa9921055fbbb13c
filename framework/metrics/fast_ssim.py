"""SSIM of 8-bit images in float32: within ~1e-7 of the float64 computation on natural images, much cheaper.

Float32 has 24 bits of mantissa; 8-bit SSIM filters squares of values up to 255², and the variance
``E[x²] − E[x]²`` cancels most of those bits in flat regions. Three rearrangements keep the error small:

1. **Centring.** Variances and covariances do not change when a constant is subtracted, so each image channel is
   shifted by its own rounded mean before squaring. The shifted values are still exact integers, and the filtered
   squares are smaller by the squared offset.
2. **Sum and difference.** With ``s = x + y`` and ``d = x − y`` the SSIM's contrast-structure term is
   ``(Var s − Var d + 2 C2) / (Var s + Var d + 2 C2)`` and its luminance term
   ``(μs² − μd² + 2 C1) / (μs² + μd² + 2 C1)``. For a good prediction ``d`` is small, so ``Var d`` is accurate, and an
   error in ``Var s`` moves the result only in proportion to ``Var d``. Four filtered maps (``s, d, s², d²``) replace
   the usual five.
3. **Deficits.** Each pixel's SSIM is carried as ``1 − e`` and the small ``e`` is what gets summed, so values near 1
   keep float32's relative precision.

What remains is float32 rounding inside the Gaussian filter. Measured against the float64 path: ≤ 3e-7 on the LOL
pairs and scikit-image's photos; synthetic worst cases made of large flat regions at two extreme grey levels reach
≈ 5e-6 (a local centre per window would be needed to do better, which a convolution cannot have).
``precision='exact'`` in :mod:`framework.metrics.functional` is the float64 reference.

Speed comes from doing little per pixel and touching memory rarely: one image at a time, one colour plane at a time on
CPU (8-bit levels and 16-bit sums and differences made by OpenCV, squares in float32, four separable filters), the
SSIM formula in place, and scratch buffers reused between calls (:mod:`.scratch`).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .gaussian_filter import check_window_fits, filter_valid, opencv_sep_filter, valid_region
from .opencv_backend import for_each_plane, opencv, opencv_usable
from .scratch import clamped as clamp_into
from .scratch import scratch

_PEAK_8BIT = 255.0
SSIM_C1 = (0.01 * _PEAK_8BIT) ** 2
SSIM_C2 = (0.03 * _PEAK_8BIT) ** 2


def ssim_8bit_fast(x: Tensor, y: Tensor) -> Tensor:
    """Mean SSIM per image (``Tensor[B]`` float64) of ``B×C×H×W`` batches already on the 0..255 scale.

    ``x``/``y`` are normally 8-bit levels (exact integers); the unrounded BT.601 luma of 8-bit levels works too.
    """
    check_window_fits(x)
    x, y = x.to(torch.float32), y.to(torch.float32)
    centre_x, centre_y = _centre(x), _centre(y)
    scores = [_ssim_from_statistics(_statistics_torch(x[b] - centre_x[b], y[b] - centre_y[b]), centre_x[b],
                                    centre_y[b]) for b in range(x.shape[0])]
    return torch.stack(scores)


def ssim_fast_from_unit(pred: Tensor, gt: Tensor, clamped: bool = False) -> Tensor:
    """Like :func:`ssim_8bit_fast` for images in [0, 1], which it clamps and rounds to 8-bit levels itself.

    On CPU the levels, the centred sum/difference maps and their squares are made by OpenCV one image plane at a
    time (8-bit levels, 16-bit sums and differences: less memory traffic than float32 planes, and cache-sized work
    per plane); elsewhere by torch. Pass ``clamped=True`` when the images are already clamped to [0, 1]. The levels
    are ``round(x × 255)`` in float32, which is exact except on float32 ties (see :mod:`.eight_bit`; SSIM moves by
    ~1e-9 per such pixel). An image containing NaN scores NaN.
    """
    check_window_fits(pred)
    scores = []
    for b in range(pred.shape[0]):
        x, y = pred[b].to(torch.float32), gt[b].to(torch.float32)
        if not clamped:
            x, y = clamp_into(x, "ssim.pred"), clamp_into(y, "ssim.gt")
        centre_x, centre_y = _centre(x, scale=_PEAK_8BIT), _centre(y, scale=_PEAK_8BIT)
        if bool(centre_x.isnan().any() | centre_y.isnan().any()):
            scores.append(torch.tensor(float("nan"), dtype=torch.float64, device=x.device))
            continue
        if opencv_usable(x):
            stats = _statistics_opencv(x, y, centre_x, centre_y)
        else:
            stats = _statistics_torch(torch.add(-centre_x, x, alpha=_PEAK_8BIT).round_(),
                                      torch.add(-centre_y, y, alpha=_PEAK_8BIT).round_())
        scores.append(_ssim_from_statistics(stats, centre_x, centre_y))
    return torch.stack(scores)


def _centre(x: Tensor, scale: float = 1.0) -> Tensor:
    """An integer level near the mean of each channel (``…×C×1×1``, 0..255 scale; NaN if the channel has NaN).

    Any integer level would do (variances do not change with it); one close to the values keeps the squares small.
    """
    return x.mean(dim=(-2, -1), keepdim=True).mul_(scale).round_()


def _statistics_torch(x: Tensor, y: Tensor) -> Tensor:
    """``4×C×H'×W'`` filtered ``s, d, s² + 2·C2, d²`` of one centred image pair (``s = x + y``, ``d = x − y``)."""
    maps = scratch("ssim.maps", (4, *x.shape), device=x.device)
    s, d, s_sq, d_sq = maps.unbind(dim=0)
    torch.add(x, y, out=s)
    torch.sub(x, y, out=d)
    torch.mul(s, s, out=s_sq)
    torch.mul(d, d, out=d_sq)
    delta = torch.zeros(maps.shape[:-2], dtype=torch.float32, device=x.device)
    delta[2] = 2 * SSIM_C2
    return filter_valid(maps, delta)


def _statistics_opencv(pred: Tensor, gt: Tensor, centre_x: Tensor, centre_y: Tensor) -> Tensor:
    """As :func:`_statistics_torch` from one clamped [0, 1] float32 image pair, one OpenCV pipeline per plane.

    Per plane: ``round(x·255)`` to uint8, a lookup table to the centred int16 level, int16 sum and difference,
    float32 squares, four separable filters into the output buffer (a scratch buffer: the caller owns it until the
    next call on this thread).
    """
    cv2 = opencv()
    channels, height, width = pred.shape
    pred_np, gt_np = pred.contiguous().numpy(), gt.contiguous().numpy()
    out = scratch("ssim.statistics", (4, channels, height, width))
    out_np = out.numpy()
    levels = np.arange(256, dtype=np.int16)
    shift_x, shift_y = centre_x.to(torch.int16).flatten().numpy(), centre_y.to(torch.int16).flatten().numpy()

    def one_plane(c: int) -> None:
        def buffer(name: str, dtype: torch.dtype) -> np.ndarray:
            return scratch(f"ssim.plane.{name}", (height, width), dtype).numpy()

        x8 = cv2.convertScaleAbs(pred_np[c], buffer("x8", torch.uint8), alpha=_PEAK_8BIT)  # round(x·255)
        y8 = cv2.convertScaleAbs(gt_np[c], buffer("y8", torch.uint8), alpha=_PEAK_8BIT)
        x = cv2.LUT(x8, levels - shift_x[c], buffer("x", torch.int16))
        y = cv2.LUT(y8, levels - shift_y[c], buffer("y", torch.int16))
        s = cv2.add(x, y, buffer("s", torch.int16))  # |s|, |d| ≤ 510: exact in int16
        d = cv2.subtract(x, y, buffer("d", torch.int16))
        square = buffer("square", torch.float32)
        opencv_sep_filter(s, out_np[0, c])
        opencv_sep_filter(d, out_np[1, c])
        opencv_sep_filter(cv2.multiply(s, s, square, dtype=cv2.CV_32F), out_np[2, c], delta=2 * SSIM_C2)
        opencv_sep_filter(cv2.multiply(d, d, square, dtype=cv2.CV_32F), out_np[3, c])

    for_each_plane(channels, one_plane)
    return valid_region(out)


def _ssim_from_statistics(stats: Tensor, centre_x: Tensor, centre_y: Tensor) -> Tensor:
    """Mean SSIM (0-dim float64) of one image from its filtered centred ``s, d, s² + 2·C2, d²`` (``4×C×H'×W'``).

    Works in place in ``stats``. Each pixel's SSIM is written as ``1 − e`` with ``e = A + B − A·B``,
    ``A = 1 − luminance`` and ``B = 1 − contrast-structure``; the deficits ``e`` are what float32 carries and sums,
    so a near-perfect prediction keeps float32's relative precision on the small deficit instead of losing it next
    to 1.
    """
    mu_s, mu_d, e_ss, e_dd = stats.unbind(dim=0)
    var_s = e_ss.addcmul_(mu_s, mu_s, value=-1)  # Var(x+y) + 2·C2
    var_d = e_dd.addcmul_(mu_d, mu_d, value=-1)  # Var(x−y)
    cs_den = var_s.add_(var_d)
    half_b = var_d.div_(cs_den)  # B/2 = Var(x−y) / (Var(x+y) + Var(x−y) + 2·C2)

    mu_s.add_(centre_x + centre_y)  # uncentred means for the luminance term
    mu_d.add_(centre_x - centre_y)
    lum_den = torch.addcmul(torch.full((), 2 * SSIM_C1, device=stats.device), mu_s, mu_s, out=cs_den)
    lum_den.addcmul_(mu_d, mu_d)
    half_a = mu_d.mul_(mu_d).div_(lum_den)  # A/2 = μd² / (μs² + μd² + 2·C1)

    half_e = torch.add(half_a, half_b, out=mu_s).addcmul_(half_a, half_b, value=-2)  # e/2 = A/2 + B/2 − 2·(A/2)(B/2)
    # Rows of at most a few thousand values summed in float32, then the row sums in float64.
    total = half_e.sum(dim=-1).sum(dtype=torch.float64)
    return 1.0 - 2.0 * total / half_e.numel()
