"""How far two label maps agree — e.g. a prior's classes on a low-light image vs. on its ground truth.

Pixel accuracy is the fraction of pixels with the same label. mIoU is the mean, over the classes present in either
map, of ``|A = c ∧ B = c| / |A = c ∨ B = c|``; classes absent from both do not count (they would add a vacuous 1).
Identical maps give 1 and 1; maps with no label in common give 0 and 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class LabelAgreement:
    pixel_accuracy: float
    miou: float
    #: the classes the mIoU averages over (present in either map), ascending
    classes: tuple[int, ...]

    def as_dict(self) -> dict:
        return asdict(self)


def label_agreement(labels: np.ndarray, reference: np.ndarray) -> LabelAgreement:
    """Agreement of integer label maps of the same shape (``labels`` judged against ``reference``)."""
    a, b = np.asarray(labels).ravel(), np.asarray(reference).ravel()
    if np.asarray(labels).shape != np.asarray(reference).shape:
        raise ValueError(f"label maps differ in shape: {np.asarray(labels).shape} vs {np.asarray(reference).shape}")
    if a.size == 0:
        raise ValueError("label maps are empty")
    classes = np.union1d(np.unique(a), np.unique(b))
    ious = [np.logical_and(a == c, b == c).sum() / np.logical_or(a == c, b == c).sum() for c in classes]
    return LabelAgreement(float(np.mean(a == b)), float(np.mean(ious)), tuple(int(c) for c in classes))
