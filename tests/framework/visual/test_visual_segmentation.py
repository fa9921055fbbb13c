"""Class-map drawing: the PASCAL VOC palette, colouring, blending, legends, energy strips (numpy + Pillow only)."""
from __future__ import annotations

import numpy as np
import pytest

from llie.visual.features import energy_strip, heat, normalise
from llie.visual.segmentation import (blend, class_fractions, class_palette, class_panel, colorize, legend,
                                      present_classes)

#: the PASCAL VOC development kit's colours (VOClabelcolormap): background, aeroplane, bicycle, …, cat, …, person
VOC_COLOURS = {0: (0, 0, 0), 1: (128, 0, 0), 2: (0, 128, 0), 3: (128, 128, 0), 4: (0, 0, 128), 8: (64, 0, 0),
               12: (64, 0, 128), 15: (192, 128, 128), 20: (0, 64, 128)}


def test_palette_is_the_pascal_voc_colour_map():
    palette = class_palette(21)
    for k, rgb in VOC_COLOURS.items():
        assert tuple(palette[k]) == rgb
    assert len({tuple(c) for c in class_palette(4096).tolist()}) == 4096  # distinct for any class count


def test_colorize_maps_ids_to_palette_colours_and_ignored_to_white():
    labels = np.array([[0, 8], [15, -1]])
    out = colorize(labels, 21)
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert tuple(out[0, 1]) == VOC_COLOURS[8] and tuple(out[1, 0]) == VOC_COLOURS[15]
    assert tuple(out[1, 1]) == (255, 255, 255)
    assert tuple(colorize(np.array([[300]]))[0, 0]) == tuple(class_palette(301)[300])
    with pytest.raises(ValueError, match="integer"):
        colorize(np.zeros((2, 2)))


def test_blend_mixes_image_and_colours():
    image = np.full((2, 3, 3), 1.0, dtype=np.float32)  # white, as floats
    colours = np.zeros((2, 3, 3), dtype=np.uint8)
    assert (blend(image, colours, 0.25) == 191).all()
    assert (blend(image, colours, 0.0) == 255).all() and (blend(image, colours, 1.0) == 0).all()
    with pytest.raises(ValueError, match="size"):
        blend(image, np.zeros((3, 3, 3), dtype=np.uint8))


def test_present_classes_only_those_in_the_map_most_pixels_first():
    labels = np.array([[8, 8, 8], [0, 0, 15]])
    entries = present_classes(labels, [f"c{k}" for k in range(21)])
    assert [(e.class_id, e.name) for e in entries] == [(8, "c8"), (0, "c0"), (15, "c15")]
    assert [round(e.fraction, 4) for e in entries] == [0.5, 0.3333, 0.1667]
    assert present_classes(np.array([[3]]))[0].name == "class 3"  # no names: a placeholder
    assert np.isclose(class_fractions(labels, 21).sum(), 1.0)


def test_legend_has_one_swatch_row_per_class_in_its_colour():
    entries = present_classes(np.array([[1, 2, 2]]), ["a", "b", "c"])
    key = legend(entries, height=100)
    assert key.shape[0] == 100 and key.dtype == np.uint8
    swatch_colours = {tuple(key[y, 10]) for y in range(key.shape[0])}
    assert VOC_COLOURS[1] in swatch_colours and VOC_COLOURS[2] in swatch_colours
    assert VOC_COLOURS[3] not in swatch_colours  # class 3 is absent: no row


def test_class_panel_puts_the_legend_beside_the_blended_image():
    image = np.zeros((40, 30, 3), dtype=np.float32)
    panel = class_panel(image, np.full((40, 30), 1), ["bg", "plane"], 21, alpha=1.0)
    assert panel.shape[0] >= 40 and panel.shape[1] > 30
    assert (panel[:40, :30] == VOC_COLOURS[1]).all()


def test_energy_strip_normalises_each_level_and_keeps_its_resolution():
    fine = np.arange(16, dtype=np.float64).reshape(4, 4)
    coarse = np.array([[0.0, 1e6], [1e6, 0.0]])  # a very different scale: normalised on its own
    strip = energy_strip([("fine", fine), ("coarse", coarse)], height=8, width=8)
    assert strip.dtype == np.uint8 and strip.shape[0] > 8
    lo, hi = tuple(heat(np.array(0.0))), tuple(heat(np.array(1.0)))
    assert lo != hi
    assert (normalise(np.full((3, 3), 7.0)) == 0).all()
    assert normalise(fine).min() == 0 and normalise(fine).max() == 1
