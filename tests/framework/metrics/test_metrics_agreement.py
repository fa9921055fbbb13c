"""Label agreement of two class maps (pixel accuracy, mIoU over the classes present in either)."""
from __future__ import annotations

import numpy as np
import pytest

from llie.metrics.agreement import label_agreement


def test_identical_maps_agree_fully():
    labels = np.array([[0, 1, 1], [2, 2, 0]])
    result = label_agreement(labels, labels.copy())
    assert result.pixel_accuracy == 1.0 and result.miou == 1.0 and result.classes == (0, 1, 2)


def test_maps_without_a_common_label_agree_nowhere():
    result = label_agreement(np.zeros((3, 4), dtype=int), np.full((3, 4), 5))
    assert result.pixel_accuracy == 0.0 and result.miou == 0.0 and result.classes == (0, 5)


def test_partial_agreement_by_hand():
    a = np.array([[0, 0, 1, 1]])
    b = np.array([[0, 1, 1, 2]])
    result = label_agreement(a, b)
    assert result.pixel_accuracy == pytest.approx(0.5)
    # IoU: class 0 → 1/2, class 1 → 1/3, class 2 → 0/1 ; classes absent from both (3, 4 …) do not count
    assert result.miou == pytest.approx((1 / 2 + 1 / 3 + 0) / 3)
    assert result.as_dict()["classes"] == (0, 1, 2)


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="shape"):
        label_agreement(np.zeros((2, 2), dtype=int), np.zeros((2, 3), dtype=int))
