"""The 11×11 Gaussian window of SSIM (σ 1.5) and separable filtering of image planes over the valid region.

SSIM spends about half its time here: every RGB image needs a dozen full-size planes filtered. On CPU the planes go
through OpenCV's ``sepFilter2D`` (SIMD row and column passes straight on the planar layout, float32 or float64).
Measured on the 2-core development machine for 12 planes of 400×600 in float32: OpenCV ≈ 5 ms; torch shifted
multiply-adds ≈ 35 ms; oneDNN's depthwise ``conv2d`` ≈ 4 ms but only on channels-last data, and converting the planes
to and from that layout costs another ≈ 3.5 ms. Other devices (or a missing OpenCV) use the shifted multiply-adds,
which are memory-bound and fine on a GPU. Both backends compute in the planes' own dtype and agree up to rounding.
"""
from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor

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
    height, width = maps.shape[-2:]
    if height < SSIM_WINDOW or width < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels (after any crop), "
                         f"got {height}×{width}")
    if maps.device.type == "cpu" and maps.dtype in (torch.float32, torch.float64) and _opencv() is not None:
        return _filter_valid_opencv(maps, delta)
    out = _filter_valid_shifted(maps)
    return out if delta is None else out.add_(delta.to(out.dtype)[..., None, None])


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
    """One ``cv2.sepFilter2D`` per plane into a preallocated buffer, then the valid crop (a view).

    With several torch threads the planes are spread over that many worker threads (OpenCV releases the GIL), each
    filtering whole planes single-threaded: that scales better than OpenCV's own row splitting on images this size.
    """
    cv2 = _opencv()
    planes = maps.detach().contiguous().reshape(-1, *maps.shape[-2:])
    out = torch.empty_like(planes)
    taps = gaussian_window_1d(dtype=maps.dtype).numpy()
    src, dst = planes.numpy(), out.numpy()
    deltas = [0.0] * src.shape[0] if delta is None else delta.reshape(-1).tolist()

    def filter_plane(i: int) -> None:
        # The border mode only affects the 5-pixel frame that is cropped away below.
        cv2.sepFilter2D(src[i], -1, taps, taps, dst=dst[i], delta=deltas[i], borderType=cv2.BORDER_REFLECT_101)

    threads = min(torch.get_num_threads(), src.shape[0])
    with _opencv_threads(1):
        if threads > 1:
            list(_worker_pool(threads, os.getpid()).map(filter_plane, range(src.shape[0])))
        else:
            for i in range(src.shape[0]):
                filter_plane(i)
    return out.reshape(maps.shape)[..., BORDER:-BORDER, BORDER:-BORDER]


@functools.lru_cache(maxsize=4)
def _worker_pool(threads: int, pid: int) -> ThreadPoolExecutor:
    """A pool per thread count and process (a pool inherited through ``fork`` has no threads left)."""
    del pid  # part of the cache key only
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ssim-filter")


@functools.lru_cache(maxsize=1)
def _opencv():
    """OpenCV if importable (it ships with mmcv), else ``None`` and torch does the filtering."""
    try:
        import cv2
    except ImportError:  # pragma: no cover - mmcv depends on opencv, so this is the exotic case
        return None
    return cv2


@contextlib.contextmanager
def _opencv_threads(threads: int) -> Iterator[None]:
    """Run OpenCV with ``threads`` threads of its own for the duration, then restore its setting."""
    cv2 = _opencv()
    previous = cv2.getNumThreads()
    if previous != threads:
        cv2.setNumThreads(threads)
    try:
        yield
    finally:
        if previous != threads:
            cv2.setNumThreads(previous)
