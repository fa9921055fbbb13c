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
``precision='exact'`` in :mod:`llie.metrics.functional` is the float64 reference.

Speed comes from doing little per pixel and touching memory rarely. On CPU each colour plane of each image is one
task done entirely with OpenCV kernels (:class:`_OpenCVPlane`): 8-bit levels, 16-bit centred sums and differences,
float32 squares, four separable filters, the formula in place and a float64 sum, all in per-thread scratch buffers
reused between calls (:mod:`.scratch`); with several torch threads the planes are spread over worker threads. Other
devices run the same arithmetic as torch operations.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .gaussian_filter import BORDER, check_window_fits, filter_valid, opencv_sep_filter
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
    if opencv_usable(x):
        return _ssim_opencv(x, y, from_unit=False)
    centre_x, centre_y = _centre(x), _centre(y)
    scores = [_ssim_from_statistics(_statistics_torch(x[b] - centre_x[b], y[b] - centre_y[b]), centre_x[b],
                                    centre_y[b]) for b in range(x.shape[0])]
    return torch.stack(scores)


def ssim_fast_from_unit(pred: Tensor, gt: Tensor, clamped: bool = False) -> Tensor:
    """Like :func:`ssim_8bit_fast` for images in [0, 1], which it clamps and rounds to 8-bit levels itself.

    ``clamped=True`` promises the images are already in [0, 1] (saves the range check). The levels are
    ``round(x × 255)`` in float32, exact except on float32 ties (see :mod:`.eight_bit`; SSIM moves by ~1e-9 per
    such pixel). An image containing NaN scores NaN.
    """
    check_window_fits(pred)
    pred, gt = pred.to(torch.float32), gt.to(torch.float32)
    if opencv_usable(pred):
        return _ssim_opencv(pred, gt, from_unit=True, clamped=clamped)
    scores = []
    for b in range(pred.shape[0]):
        x, y = pred[b], gt[b]
        if not clamped:
            x, y = clamp_into(x, "ssim.pred"), clamp_into(y, "ssim.gt")
        centre_x, centre_y = _centre(x, scale=_PEAK_8BIT), _centre(y, scale=_PEAK_8BIT)
        if bool(centre_x.isnan().any() | centre_y.isnan().any()):
            scores.append(torch.tensor(float("nan"), dtype=torch.float64, device=x.device))
            continue
        stats = _statistics_torch(torch.add(-centre_x, x, alpha=_PEAK_8BIT).round_(),
                                  torch.add(-centre_y, y, alpha=_PEAK_8BIT).round_())
        scores.append(_ssim_from_statistics(stats, centre_x, centre_y))
    return torch.stack(scores)


def _ssim_opencv(pred: Tensor, gt: Tensor, from_unit: bool, clamped: bool = False) -> Tensor:
    """CPU path: every image plane goes through :class:`_OpenCVPlane` on its own (planes spread over threads)."""
    batch, channels = pred.shape[:2]
    pred_np, gt_np = pred.detach().contiguous().numpy(), gt.detach().contiguous().numpy()
    half_deficits = np.empty((batch, channels), dtype=np.float64)

    def one_plane(index: int) -> None:
        b, c = divmod(index, channels)
        plane = _OpenCVPlane(pred_np[b, c], gt_np[b, c], from_unit, clamped)
        half_deficits[b, c] = plane.half_deficit_sum()

    for_each_plane(batch * channels, one_plane)
    count = channels * (pred.shape[-2] - 2 * BORDER) * (pred.shape[-1] - 2 * BORDER)
    return torch.from_numpy(1.0 - 2.0 * half_deficits.sum(axis=1) / count)


class _OpenCVPlane:
    """SSIM statistics and formula of one image plane pair with OpenCV kernels, in this thread's scratch buffers.

    No torch operation runs here: torch's intra-op threads meet at a barrier after every operation, and on a busy
    machine (data-loader workers, other jobs) a descheduled thread stalls each of the SSIM's dozens of small passes;
    single-threaded OpenCV calls on independent planes have no such rendezvous.
    """

    def __init__(self, pred: np.ndarray, gt: np.ndarray, from_unit: bool, clamped: bool) -> None:
        self.cv2 = opencv()
        self.shape = pred.shape
        self.pred, self.gt = pred, gt
        self.from_unit, self.clamped = from_unit, clamped

    def buffer(self, name: str, dtype: torch.dtype = torch.float32, shape: tuple[int, ...] | None = None) -> np.ndarray:
        return scratch(f"ssim.plane.{name}", shape or self.shape, dtype).numpy()

    def half_deficit_sum(self) -> float:
        """``Σ e/2`` over the valid region, ``e = 1 − SSIM`` per pixel; NaN if either plane holds NaN."""
        cv2 = self.cv2
        x, centre_x = self.centred(self.pred, "x")
        y, centre_y = self.centred(self.gt, "y")
        if x is None or y is None:
            return float("nan")
        s, d = cv2.add(x, y, self.buffer("s", _TORCH[x.dtype])), cv2.subtract(x, y, self.buffer("d", _TORCH[x.dtype]))
        stats = self.buffer("statistics", shape=(4, *self.shape))
        square = self.buffer("square")
        opencv_sep_filter(s, stats[0])
        opencv_sep_filter(d, stats[1])
        opencv_sep_filter(cv2.multiply(s, s, square, dtype=cv2.CV_32F), stats[2], delta=2 * SSIM_C2)
        opencv_sep_filter(cv2.multiply(d, d, square, dtype=cv2.CV_32F), stats[3])
        mu_s, mu_d, e_ss, e_dd = (plane[BORDER:-BORDER, BORDER:-BORDER] for plane in stats)
        return self.formula(mu_s, mu_d, e_ss, e_dd, centre_x + centre_y, centre_x - centre_y)

    def centred(self, plane: np.ndarray, name: str) -> tuple[np.ndarray | None, int]:
        """The plane's 8-bit levels (or given values) minus an integer level near their mean; ``None`` for NaN."""
        cv2 = self.cv2
        if self.from_unit:
            if not self.clamped:
                low, high = plane.min(), plane.max()  # NaN propagates into both
                if not (low >= 0.0 and high <= 1.0):
                    if np.isnan(low) or np.isnan(high):
                        return None, 0
                    plane = np.clip(plane, 0.0, 1.0, out=self.buffer(f"{name}.clamped"))
            levels = cv2.convertScaleAbs(plane, self.buffer(f"{name}.8bit", torch.uint8), alpha=_PEAK_8BIT)
            centre = round(cv2.mean(levels)[0])
            table = np.arange(-centre, 256 - centre, dtype=np.int16)
            return cv2.LUT(levels, table, self.buffer(f"{name}.centred", torch.int16)), centre
        mean = cv2.mean(plane)[0]
        if np.isnan(mean):
            return None, 0
        centre = round(mean)
        return cv2.subtract(plane, float(centre), self.buffer(f"{name}.centred")), centre

    def formula(self, mu_s: np.ndarray, mu_d: np.ndarray, e_ss: np.ndarray, e_dd: np.ndarray, shift_sum: int,
                shift_diff: int) -> float:
        """In place on the filtered statistics (see the module docstring): ``Σ e/2 = Σ A/2 + B/2 − 2·(A/2)(B/2)``."""
        cv2 = self.cv2
        first, second = self.buffer("first", shape=mu_s.shape), self.buffer("second", shape=mu_s.shape)
        cv2.subtract(e_ss, cv2.multiply(mu_s, mu_s, first), e_ss)  # Var(x+y) + 2·C2
        cv2.subtract(e_dd, cv2.multiply(mu_d, mu_d, second), e_dd)  # Var(x−y)
        cv2.add(e_ss, e_dd, e_ss)
        half_b = cv2.divide(e_dd, e_ss, e_dd)  # B/2 = Var(x−y) / (Var(x+y) + Var(x−y) + 2·C2)
        cv2.add(mu_s, float(shift_sum), mu_s)  # uncentred means for the luminance term
        cv2.add(mu_d, float(shift_diff), mu_d)
        lum_den = cv2.add(cv2.multiply(mu_s, mu_s, first), 2 * SSIM_C1, first)
        cv2.add(lum_den, cv2.multiply(mu_d, mu_d, second), lum_den)
        half_a = cv2.divide(second, lum_den, second)  # A/2 = μd² / (μs² + μd² + 2·C1)
        half_e = cv2.multiply(half_a, half_b, first, scale=-2.0)
        cv2.add(half_e, half_a, half_e)
        cv2.add(half_e, half_b, half_e)
        return cv2.sumElems(half_e)[0]  # accumulated in float64


_TORCH = {np.dtype(np.int16): torch.int16, np.dtype(np.float32): torch.float32}


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
