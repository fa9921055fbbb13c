"""Class maps in colour: a fixed palette, the map blended over its image, and a legend of the classes present.

The palette is the standard PASCAL VOC colour map (the VOC development kit's: the bits of the class id spread over
the high bits of R, G, B; class 0 is black). It is defined for any class count — unique up to 2²⁴ classes — so
every segmentation prior (VOC, Cityscapes, PASCAL-Context …) gets the same deterministic colours in the CLI and the
reports. Images are ``H×W×3`` arrays: uint8, or floats in [0, 1].

Report code: ``colorize(labels, num_classes)`` for the colours, ``legend(present_classes(labels, names))`` for the
key, ``class_panel(image, labels, names)`` for both beside the blended image.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from .text import fit_text, font

BACKGROUND = (255, 255, 255)
TEXT = (0, 0, 0)
ROW_HEIGHT = 18
SWATCH = 12
MARGIN = 6
LEGEND_WIDTH = 190


@lru_cache(maxsize=8)
def _colour_map(count: int) -> np.ndarray:
    colours = np.zeros((count, 3), dtype=np.uint8)
    for k in range(count):
        c, rgb = k, [0, 0, 0]
        for bit in range(8):
            for channel in range(3):
                rgb[channel] |= ((c >> channel) & 1) << (7 - bit)
            c >>= 3
        colours[k] = rgb
    colours.setflags(write=False)
    return colours


def class_palette(count: int = 256) -> np.ndarray:
    """``count×3`` uint8 colours: the PASCAL VOC colour map (class 0 black, 1 dark red, 2 dark green, 3 olive …)."""
    return _colour_map(max(int(count), 1)).copy()


def colorize(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """``H×W`` integer class ids → ``H×W×3`` uint8 colours. ``num_classes`` sizes the palette (default: enough for
    the largest id); negative ids (ignored pixels) are drawn white."""
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"colorize: labels must be integer class ids, got {labels.dtype}")
    top = int(labels.max(initial=0)) + 1
    palette = _colour_map(max(top, int(num_classes or 0), 1))
    out = palette[np.clip(labels, 0, None)]
    out[labels < 0] = BACKGROUND
    return out


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An ``H×W×3`` image as uint8 (floats are taken as [0, 1] and clipped)."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return (np.clip(image.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def blend(image: np.ndarray, colours: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """``(1 − alpha)·image + alpha·colours`` as uint8; both ``H×W×3`` of the same size."""
    if image.shape[:2] != colours.shape[:2]:
        raise ValueError(f"blend: image {image.shape[:2]} and class map {colours.shape[:2]} differ in size")
    mixed = (1.0 - alpha) * to_uint8(image).astype(np.float32) + alpha * to_uint8(colours).astype(np.float32)
    return (mixed + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class LegendEntry:
    """One class of a legend: its id (for the colour), its name and the fraction of pixels it covers."""

    class_id: int
    name: str
    fraction: float | None = None


def class_fractions(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Fraction of the pixels of each class ``0…num_classes−1`` (ignored, negative ids are not counted)."""
    flat = np.asarray(labels).ravel()
    flat = flat[flat >= 0]
    counts = np.bincount(flat, minlength=num_classes).astype(np.float64)
    return counts / max(flat.size, 1)


def class_name(class_id: int, names: Sequence[str] | None) -> str:
    return str(names[class_id]) if names is not None and class_id < len(names) else f"class {class_id}"


def present_classes(labels: np.ndarray, names: Sequence[str] | None = None,
                    num_classes: int | None = None) -> list[LegendEntry]:
    """The classes that occur in ``labels``, most pixels first (ties: lower id first)."""
    count = max(int(np.asarray(labels).max(initial=0)) + 1, int(num_classes or 0), len(names or ()))
    fractions = class_fractions(labels, count)
    ids = sorted(np.flatnonzero(fractions > 0).tolist(), key=lambda k: (-fractions[k], k))
    return [LegendEntry(int(k), class_name(int(k), names), float(fractions[k])) for k in ids]


def legend(entries: Sequence[LegendEntry], *, width: int = LEGEND_WIDTH, height: int | None = None,
           num_classes: int | None = None) -> np.ndarray:
    """A key: one row per entry — colour swatch, name, percentage — on white, ``width`` wide and at least
    ``height`` high (default: as high as the rows need). Returns ``H×W×3`` uint8."""
    needed = 2 * MARGIN + max(len(entries), 1) * ROW_HEIGHT
    canvas = Image.new("RGB", (width, max(needed, int(height or 0))), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    face = font(11)
    top_id = max([e.class_id for e in entries], default=0) + 1
    palette = _colour_map(max(top_id, int(num_classes or 0), 1))
    if not entries:
        draw.text((MARGIN, MARGIN), "no classes", fill=TEXT, font=face)
    for row, entry in enumerate(entries):
        y = MARGIN + row * ROW_HEIGHT
        draw.rectangle((MARGIN, y + 2, MARGIN + SWATCH, y + 2 + SWATCH), fill=tuple(int(v) for v in
                                                                                     palette[entry.class_id]),
                       outline=TEXT)
        share = "" if entry.fraction is None else f"{100.0 * entry.fraction:.1f} %"
        share_w = int(draw.textlength(share, font=face))
        x = 2 * MARGIN + SWATCH
        draw.text((x, y + 2), fit_text(entry.name, draw, face, width - x - share_w - 2 * MARGIN), fill=TEXT,
                  font=face)
        draw.text((width - MARGIN - share_w, y + 2), share, fill=TEXT, font=face)
    return np.asarray(canvas)


def side_by_side(panels: Sequence[np.ndarray], gap: int = MARGIN) -> np.ndarray:
    """uint8 panels left to right, top-aligned, on white, ``gap`` pixels apart."""
    panels = [to_uint8(p) for p in panels]
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + gap * (len(panels) - 1)
    canvas = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    x = 0
    for p in panels:
        canvas[: p.shape[0], x: x + p.shape[1]] = p
        x += p.shape[1] + gap
    return canvas


def class_panel(image: np.ndarray, labels: np.ndarray, names: Sequence[str] | None = None,
                num_classes: int | None = None, alpha: float = 0.5) -> np.ndarray:
    """The class map blended over ``image`` with the legend of the classes present (and their pixel fractions)
    to its right; ``labels`` must be ``image``'s size."""
    overlay = blend(image, colorize(labels, num_classes), alpha)
    key = legend(present_classes(labels, names, num_classes), height=overlay.shape[0], num_classes=num_classes)
    return side_by_side([overlay, key])
