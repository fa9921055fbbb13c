"""OpenCV as the CPU backend of the metrics: availability, its thread setting, and planes spread over threads.

OpenCV ships with mmcv (a dependency), runs SIMD kernels directly on numpy views of CPU tensors and releases the GIL,
so independent image planes can be processed by plain Python threads.
"""
from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor


@functools.lru_cache(maxsize=1)
def opencv():
    """The ``cv2`` module if importable, else ``None`` (callers then fall back to torch)."""
    try:
        import cv2
    except ImportError:  # pragma: no cover - mmcv depends on opencv, so this is the exotic case
        return None
    return cv2


def opencv_usable(images: Tensor) -> bool:
    """Whether the OpenCV backend applies: CPU float32/float64 tensors and OpenCV importable."""
    return images.device.type == "cpu" and images.dtype in (torch.float32, torch.float64) and opencv() is not None


def squared_distance(a: Tensor, b: Tensor) -> float:
    """``Σ (a − b)²`` of two CPU float ``…×H×W`` tensors of one shape, accumulated in float64 by OpenCV (one pass)."""
    cv2 = opencv()
    a_np = a.detach().reshape(-1, *a.shape[-2:]).numpy()
    b_np = b.detach().reshape(-1, *b.shape[-2:]).numpy()
    return sum(cv2.norm(a_np[i], b_np[i], cv2.NORM_L2SQR) for i in range(a_np.shape[0]))


def for_each_plane(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(0) … work(count − 1)`` over as many threads as torch uses, OpenCV single-threaded in each.

    With several torch threads whole planes run in parallel worker threads, which scales better than OpenCV's own
    row splitting on images this size; with one torch thread everything stays on the calling thread, so a 1-thread
    benchmark really uses one core.
    """
    threads = min(torch.get_num_threads(), count)
    with _opencv_threads(1):
        if threads > 1:
            list(_worker_pool(threads, os.getpid()).map(work, range(count)))
        else:
            for i in range(count):
                work(i)


@functools.lru_cache(maxsize=4)
def _worker_pool(threads: int, pid: int) -> ThreadPoolExecutor:
    """A pool per thread count and process (a pool inherited through ``fork`` has no threads left)."""
    del pid  # part of the cache key only
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="metrics-opencv")


@contextlib.contextmanager
def _opencv_threads(threads: int) -> Iterator[None]:
    """Run OpenCV with ``threads`` threads of its own for the duration, then restore its setting."""
    cv2 = opencv()
    previous = cv2.getNumThreads()
    if previous != threads:
        cv2.setNumThreads(threads)
    try:
        yield
    finally:
        if previous != threads:
            cv2.setNumThreads(previous)
