"""Reusable per-thread scratch buffers for the metrics' large temporaries, and clamping that avoids a copy.

A freshly allocated image-sized buffer is mapped page by page on first touch; for SSIM, whose every step is one
cheap pass over a dozen image-sized planes, those page faults cost about a quarter of the run time on a CPU. Each
thread keeps its buffers between calls instead (one per name, resized when the shape changes), so only the first
image of a size pays. Results handed to callers never alias these buffers.
"""
from __future__ import annotations

import threading

import torch
from torch import Tensor

_LOCAL = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype: torch.dtype = torch.float32,
            device: torch.device | str = "cpu") -> Tensor:
    """This thread's buffer called ``name`` with the given shape, dtype and device (contents undefined)."""
    buffers: dict[str, Tensor] = _LOCAL.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    shape = tuple(shape)
    if buffer is None or tuple(buffer.shape) != shape or buffer.dtype != dtype or buffer.device != torch.device(device):
        buffer = torch.empty(shape, dtype=dtype, device=device)
        buffers[name] = buffer
    return buffer


def release() -> None:
    """Drop this thread's buffers (tests, or a process that is done evaluating)."""
    _LOCAL.__dict__.pop("buffers", None)


def clamped(x: Tensor, name: str, low: float = 0.0, high: float = 1.0) -> Tensor:
    """``x`` clamped to [low, high], to be read only.

    ``x`` itself when already inside (a read-only pass to check instead of writing a copy), else a clamped copy in
    this thread's buffer ``name``. NaN counts as outside and stays NaN.
    """
    if x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64):
        values = x.detach().numpy()  # single-threaded numpy reductions: no torch thread rendezvous on a busy CPU
        smallest, largest = values.min(), values.max()
    else:
        smallest, largest = torch.aminmax(x)
    if bool((smallest >= low) & (largest <= high)):  # False when NaN is present
        return x
    return torch.clamp(x, low, high, out=scratch(name, x.shape, x.dtype, x.device))
