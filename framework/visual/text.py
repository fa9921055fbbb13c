"""Pillow's default font at a size, and text cut to a width — shared by every drawing."""
from __future__ import annotations

from typing import Any

from PIL import ImageDraw, ImageFont


def font(size: int = 12) -> Any:
    """Pillow's built-in font at ``size`` points (a fixed bitmap size on Pillow builds without FreeType)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def fit_text(text: str, draw: ImageDraw.ImageDraw, face: Any, width: int) -> str:
    """``text``, or its longest prefix + '…' that fits ``width`` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"
