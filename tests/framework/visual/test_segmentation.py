"""Class maps in the PASCAL VOC colours."""
from __future__ import annotations

import numpy as np
import pytest

from llie.visual.segmentation import colorize, voc_palette


def test_the_first_classes_have_the_voc_colours():
    assert voc_palette(9).tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
                                       [128, 0, 128], [0, 128, 128], [128, 128, 128], [64, 0, 0]]
    assert len({tuple(c) for c in voc_palette(256).tolist()}) == 256  # every class its own colour


def test_colorize_maps_each_label_to_its_colour():
    labels = np.array([[0, 1], [2, 20]])
    out = colorize(labels, num_classes=21)
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[0, 1].tolist() == [128, 0, 0] and out[1, 1].tolist() == voc_palette(21)[20].tolist()
    assert colorize(np.array([[255]]), 21)[0, 0].tolist() == voc_palette(21)[255 % 21].tolist()  # ignore index


def test_colorize_refuses_non_label_arrays():
    with pytest.raises(ValueError, match="integer array"):
        colorize(np.zeros((2, 2), dtype=np.float32), 3)
