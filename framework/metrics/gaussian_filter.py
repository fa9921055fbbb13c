"""The 11×11 Gaussian window of SSIM (σ 1.5) and separable filtering of image planes over the valid region.

SSIM spends about half its time here: every RGB image needs a dozen full-size planes filtered. On CPU the planes go
through OpenCV's ``sepFilter2D`` (SIMD row and column passes straight on the planar layout, float32 or float64).
Measured on the 2-core development machine for 12 planes of 400×600 in float32: OpenCV ≈ 5 ms; torch shifted
multiply-adds ≈ 35 ms; oneDNN's depthwise ``conv2d`` ≈ 4 ms but only on channels-last data, and converting the planes
to and from that layout costs another ≈ 3.5 ms. Other devices (or a missing OpenCV) use the shifted multiply-adds,
which are memory-bound and fine on a GPU. Both backends compute in the planes' own dtype and agree up to rounding.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch import Tensor

from .opencv_backend import for_each_plane, opencv, opencv_usable

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
BORDER = SSIM_WINDOW // 2  # pixels lost on each side by valid-region filtering


def gaussian_window_1d(device: torch.device | str | None = None, dtype: torch.dtype = torch.float64) -> Tensor:
    """The normalised 1-D Gaussian (11 taps, σ 1.5) whose outer product is the SSIM window (= OpenCV's kernel).

    Computed in float64 and then cast, so the float32 taps are the float64 ones correctly rounded.
    """
    offsets = torch.arange(SSIM_WINDOW, dtype=torch.float64) - (SSIM_WINDOW - 1) / 2
    taps = torch.exp(-offsets.square() / (2 * SSIM_SIGMA**2))
    return (taps / taps.sum()).to(device=device, dtype=dtype)


def filter_valid(maps: Tensor, delta: Tensor | None = None) -> Tensor:
    """Separable Gaussian filtering of ``…×H×W`` float32/float64 maps, valid region only: ``…×(H−10)×(W−10)``.

    ``delta`` (shape ``maps.shape[:-2]``, one constant per plane) is added to the filtered planes, for free on the
    OpenCV path. The result may be a strided view (a crop of a full-size buffer); it is computed in ``maps.dtype``.
    """
    check_window_fits(maps)
    if opencv_usable(maps):
        return _filter_valid_opencv(maps, delta)
    out = _filter_valid_shifted(maps)
    return out if delta is None else out.add_(delta.to(out.dtype)[..., None, None])


def check_window_fits(images: Tensor) -> None:
    height, width = images.shape[-2:]
    if height < SSIM_WINDOW or width < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels (after any crop), "
                         f"got {height}×{width}")


def valid_region(full: Tensor) -> Tensor:
    """The part of full-size filtered planes that the window covers completely (a view)."""
    return full[..., BORDER:-BORDER, BORDER:-BORDER]


def opencv_sep_filter(src: np.ndarray, dst: np.ndarray, delta: float = 0.0) -> None:
    """``dst = window ⊛ src + delta`` (full size; the 5-pixel frame depends on the border rule and is cropped later).

    ``src`` may be 8/16-bit integers or float; ``dst`` float32 or float64 and computed in that precision.
    """
    cv2 = opencv()
    taps = _taps_numpy(np.dtype(dst.dtype).name)
    depth = cv2.CV_64F if dst.dtype == np.float64 else cv2.CV_32F
    cv2.sepFilter2D(src, depth, taps, taps, dst=dst, delta=delta, borderType=cv2.BORDER_REFLECT_101)


def _filter_valid_shifted(maps: Tensor) -> Tensor:
    """2×11 shifted multiply-adds over the whole batch at once: device-agnostic and memory-bound."""
    taps = gaussian_window_1d(dtype=maps.dtype).tolist()
    out_h, out_w = maps.shape[-2] - SSIM_WINDOW + 1, maps.shape[-1] - SSIM_WINDOW + 1
    rows = maps[..., 0:out_h, :] * taps[0]
    for offset in range(1, SSIM_WINDOW):
        rows.add_(maps[..., offset:offset + out_h, :], alpha=taps[offset])
    out = rows[..., 0:out_w] * taps[0]
    for offset in range(1, SSIM_WINDOW):
        out.add_(rows[..., offset:offset + out_w], alpha=taps[offset])
    return out


def _filter_valid_opencv(maps: Tensor, delta: Tensor | None) -> Tensor:
    """One ``cv2.sepFilter2D`` per plane into a preallocated buffer, then the valid crop (a view)."""
    planes = maps.detach().contiguous().reshape(-1, *maps.shape[-2:])
    out = torch.empty_like(planes)
    src, dst = planes.numpy(), out.numpy()
    deltas = [0.0] * src.shape[0] if delta is None else delta.reshape(-1).tolist()
    for_each_plane(src.shape[0], lambda i: opencv_sep_filter(src[i], dst[i], deltas[i]))
    return valid_region(out.reshape(maps.shape))


@functools.lru_cache(maxsize=2)
def _taps_numpy(dtype_name: str) -> np.ndarray:
    return gaussian_window_1d(dtype=getattr(torch, dtype_name)).numpy()
