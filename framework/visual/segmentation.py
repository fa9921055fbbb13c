"""Class-id maps as colour images, with the PASCAL VOC colour map: class ``k``'s bits are spread over the high
bits of R, G and B (bit 0 → R, bit 1 → G, bit 2 → B, then the next three bits one place lower, …), so class 0 is
black, neighbouring ids get clearly different colours and a figure's colours mean the same class in every report.
"""
from __future__ import annotations

import numpy as np


def voc_palette(count: int = 256) -> np.ndarray:
    """``count×3`` uint8 colours of the PASCAL VOC colour map (``count`` ≤ 256 distinct ones)."""
    ids = np.arange(count, dtype=np.int64)
    colours = np.zeros((count, 3), dtype=np.int64)
    for shift in range(8):
        for channel in range(3):
            colours[:, channel] |= ((ids >> (3 * shift + channel)) & 1) << (7 - shift)
    return colours.astype(np.uint8)


def colorize(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``H×W`` integer class ids in ``[0, num_classes)`` → ``H×W×3`` uint8 colours (ids outside that range, e.g.
    an ignore index of 255, are taken modulo the palette size of ``max(num_classes, 1)`` colours, at most 256)."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"colorize needs an H×W integer array of class ids, got {labels.dtype} {labels.shape}")
    palette = voc_palette(min(max(int(num_classes), 1), 256))
    return palette[np.mod(labels, len(palette))]
