"""Feature energy: where each level of a prior responds, drawn as heat maps side by side.

A level's energy at a pixel is the mean absolute activation over its channels; each map is normalised on its own
(levels differ in scale by orders of magnitude) between its 1st and 99th percentiles, so a few extreme border
pixels do not wash out the rest, then coloured with a fixed black → purple → orange → yellow
ramp, and scaled with nearest-neighbour resampling so each level's own resolution stays visible.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from .segmentation import BACKGROUND, MARGIN, TEXT, side_by_side
from .text import fit_text, font

#: the heat ramp's anchors (value, RGB), close to matplotlib's 'inferno'
RAMP = ((0.0, (0, 0, 4)), (0.25, (87, 16, 110)), (0.5, (188, 55, 84)), (0.75, (249, 142, 9)), (1.0, (252, 255, 164)))
CAPTION = 16


#: the percentiles mapped to 0 and 1
CLIP_PERCENTILES = (1.0, 99.0)


def normalise(values: np.ndarray, percentiles: tuple[float, float] = CLIP_PERCENTILES) -> np.ndarray:
    """To [0, 1] between the given percentiles (clipped beyond them); a constant map becomes all zeros."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    low, high = (float(v) for v in np.percentile(values, percentiles))
    return np.zeros_like(values) if high <= low else np.clip((values - low) / (high - low), 0.0, 1.0)


def heat(values: np.ndarray) -> np.ndarray:
    """``H×W`` values in [0, 1] → ``H×W×3`` uint8 colours of :data:`RAMP`."""
    points = [p for p, _ in RAMP]
    values = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    channels = [np.interp(values, points, [rgb[c] for _, rgb in RAMP]) for c in range(3)]
    return (np.stack(channels, axis=-1) + 0.5).astype(np.uint8)


def energy_tile(energy: np.ndarray, caption: str, height: int, width: int) -> np.ndarray:
    """One normalised, coloured energy map resized to ``height×width`` under a one-line caption."""
    tile = Image.fromarray(heat(normalise(energy))).resize((width, height), Image.NEAREST)
    canvas = Image.new("RGB", (width, height + CAPTION), BACKGROUND)
    canvas.paste(tile, (0, CAPTION))
    draw = ImageDraw.Draw(canvas)
    face = font(11)
    draw.text((2, 2), fit_text(caption, draw, face, width - 4), fill=TEXT, font=face)
    return np.asarray(canvas)


def energy_strip(energies: Sequence[tuple[str, np.ndarray]], height: int, width: int) -> np.ndarray:
    """Every level's tile (``height×width``, the image's aspect) side by side, captions above."""
    return side_by_side([energy_tile(e, caption, height, width) for caption, e in energies], gap=MARGIN)
