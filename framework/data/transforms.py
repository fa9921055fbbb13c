"""Paired augmentations: the same random geometry applied to a low-light image and its ground truth.

Each transform is ``t(low, high, rng) -> (low, high)`` on ``H×W×C`` numpy arrays. All randomness comes from the
``np.random.Generator`` passed in, never from global state, so a dataset that seeds the generator per item (see
:class:`llie.data.paired.PairedImageDataset`) is reproducible across runs and DataLoader workers. Outputs may
be views with negative strides; call ``np.ascontiguousarray`` before handing them to torch.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ..errors import DataError

Pair = tuple[np.ndarray, np.ndarray]


class PairedTransform(Protocol):
    def __call__(self, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> Pair: ...


def _check_aligned(low: np.ndarray, high: np.ndarray) -> None:
    if low.shape[:2] != high.shape[:2]:
        raise DataError(f"paired transform got images of different sizes: low {low.shape[:2]} vs "
                        f"high {high.shape[:2]} (H×W)")


class PairedRandomCrop:
    """Cut the same random ``size`` window (int = square, or ``(H, W)``) out of both images."""

    def __init__(self, size: int | Sequence[int]) -> None:
        if isinstance(size, int):
            size = (size, size)
        self.height, self.width = (int(v) for v in size)
        if self.height <= 0 or self.width <= 0:
            raise DataError(f"crop size must be positive, got {self.height}×{self.width} (H×W)")

    def window(self, shape: tuple[int, ...], rng: np.random.Generator) -> tuple[int, int]:
        """Top-left corner ``(top, left)`` of a crop inside an image of ``shape`` (H, W, …)."""
        h, w = shape[:2]
        if self.height > h or self.width > w:
            raise DataError(f"crop size {self.height}×{self.width} (H×W) is larger than the image "
                            f"{h}×{w}; lower crop_size or use crop_size: null for full images")
        top = int(rng.integers(0, h - self.height + 1))
        left = int(rng.integers(0, w - self.width + 1))
        return top, left

    def __call__(self, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> Pair:
        _check_aligned(low, high)
        top, left = self.window(low.shape, rng)
        rows, cols = slice(top, top + self.height), slice(left, left + self.width)
        return low[rows, cols], high[rows, cols]

    def __repr__(self) -> str:
        return f"PairedRandomCrop(size=({self.height}, {self.width}))"


class PairedFlip:
    """Flip both images left-right and/or up-down, each with probability ``p`` (decided once per pair)."""

    def __init__(self, horizontal: bool = True, vertical: bool = True, p: float = 0.5) -> None:
        self.horizontal, self.vertical, self.p = horizontal, vertical, float(p)

    def __call__(self, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> Pair:
        # Draw both decisions unconditionally so the random stream does not depend on which flips are enabled.
        flip_h, flip_v = rng.random() < self.p, rng.random() < self.p
        if self.horizontal and flip_h:
            low, high = low[:, ::-1], high[:, ::-1]
        if self.vertical and flip_v:
            low, high = low[::-1], high[::-1]
        return low, high

    def __repr__(self) -> str:
        return f"PairedFlip(horizontal={self.horizontal}, vertical={self.vertical}, p={self.p})"


class PairedRotate90:
    """Rotate both images by the same random multiple of 90° (0, 90, 180 or 270; non-square images swap H and W)."""

    def __call__(self, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> Pair:
        k = int(rng.integers(0, 4))
        return np.rot90(low, k, axes=(0, 1)), np.rot90(high, k, axes=(0, 1))

    def __repr__(self) -> str:
        return "PairedRotate90()"


class PairedCompose:
    """Apply paired transforms in order, sharing one generator."""

    def __init__(self, transforms: Sequence[PairedTransform]) -> None:
        self.transforms = list(transforms)

    def __call__(self, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> Pair:
        for transform in self.transforms:
            low, high = transform(low, high, rng)
        return low, high

    def __len__(self) -> int:
        return len(self.transforms)

    def __repr__(self) -> str:
        return f"PairedCompose({self.transforms!r})"
