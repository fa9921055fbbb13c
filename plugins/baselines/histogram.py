"""Histogram equalisation of the luminance (global or CLAHE), in torch, batched, on the input's device.

Only Y of YCbCr is equalised; Cb and Cr are kept, so hue and chroma survive up to clipping at the gamut edge.
The mapping comes from histograms of quantised values, so the output is not differentiable w.r.t. the luminance —
fine for a training-free baseline.

CLAHE follows Zuiderveld's scheme: the image is cut into a ``tile_grid`` of tiles (reflect-padded to a whole number
of tiles), each tile's histogram is clipped at ``clip_limit × pixels per tile`` (the same convention as
``skimage.exposure.equalize_adapthist``; the clipped excess is spread evenly over all bins in one pass), each tile's
CDF becomes its mapping, and every pixel blends the mappings of its four nearest tile centres bilinearly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Enhancer, PriorFeatures, Retinex

from .color import rgb_to_ycbcr, ycbcr_to_rgb

METHODS = ("clahe", "global")


def _quantise(y: Tensor, bins: int) -> Tensor:
    return (y.clamp(0, 1) * (bins - 1)).round().long()


def _cdf_mapping(hist: Tensor) -> Tensor:
    """Histograms ``…×bins`` → mappings ``…×bins`` into [0, 1] (normalised cumulative counts)."""
    cdf = hist.cumsum(dim=-1)
    return cdf / cdf[..., -1:].clamp_min(1e-12)


def equalize_global(y: Tensor, bins: int = 256) -> Tensor:
    """Classic histogram equalisation of ``B×1×H×W`` values in [0, 1], one histogram per image."""
    index = _quantise(y, bins).flatten(1)
    hist = torch.zeros(y.shape[0], bins, device=y.device, dtype=y.dtype).scatter_add_(
        1, index, torch.ones_like(index, dtype=y.dtype))
    return _cdf_mapping(hist).gather(1, index).view_as(y)


def _tile_axis(length: int, tiles: int, size: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Per pixel along one axis (tiles of ``size`` pixels): lower tile-centre index, upper index, upper weight."""
    pos = ((torch.arange(length, device=device, dtype=torch.float32) + 0.5) / size - 0.5).clamp(0, tiles - 1)
    lower = pos.floor().long()
    return lower, (lower + 1).clamp_max(tiles - 1), pos - lower


def equalize_clahe(y: Tensor, tile_grid: tuple[int, int] = (8, 8), clip_limit: float = 0.01,
                   bins: int = 256) -> Tensor:
    """Contrast-limited adaptive equalisation of ``B×1×H×W`` values in [0, 1]."""
    b, _, h, w = y.shape
    ty, tx = min(tile_grid[0], h), min(tile_grid[1], w)
    th, tw = -(-h // ty), -(-w // tx)
    pad_h, pad_w = th * ty - h, tw * tx - w
    padded = F.pad(y, (0, pad_w, 0, pad_h), mode="reflect" if pad_h < h and pad_w < w else "replicate")
    index = _quantise(padded, bins)  # B×1×Hp×Wp

    # per-tile histograms: tile id of each pixel, then one scatter into B×(ty·tx·bins)
    tile_rows = torch.arange(ty * th, device=y.device) // th
    tile_cols = torch.arange(tx * tw, device=y.device) // tw
    tile_id = (tile_rows[:, None] * tx + tile_cols[None, :])  # Hp×Wp
    flat = (tile_id * bins + index[:, 0]).flatten(1)
    hist = torch.zeros(b, ty * tx * bins, device=y.device, dtype=y.dtype).scatter_add_(
        1, flat, torch.ones_like(flat, dtype=y.dtype)).view(b, ty * tx, bins)

    limit = max(clip_limit * th * tw, 1.0)
    excess = (hist - limit).clamp_min(0).sum(dim=-1, keepdim=True)
    mappings = _cdf_mapping(hist.clamp_max(limit) + excess / bins).flatten(1)  # B×(tiles·bins)

    # bilinear blend of the four nearest tile mappings, evaluated at each (unpadded) pixel's value
    y0, y1, wy = _tile_axis(h, ty, th, y.device)
    x0, x1, wx = _tile_axis(w, tx, tw, y.device)
    value = index[:, 0, :h, :w].flatten(1)

    def lookup(rows: Tensor, cols: Tensor) -> Tensor:
        tiles = (rows[:, None] * tx + cols[None, :]).flatten()
        return mappings.gather(1, tiles * bins + value).view(b, h, w)

    wy, wx = wy.to(y.dtype)[:, None], wx.to(y.dtype)[None, :]
    top = lookup(y0, x0) * (1 - wx) + lookup(y0, x1) * wx
    bottom = lookup(y1, x0) * (1 - wx) + lookup(y1, x1) * wx
    return (top * (1 - wy) + bottom * wy).unsqueeze(1)


class HistogramEqualization(Enhancer):
    """Equalise the luminance (Y of YCbCr), keep the chroma.

    Args:
        method: ``'clahe'`` (contrast-limited adaptive) or ``'global'``.
        clip_limit: CLAHE clip level as a fraction of the pixels per tile (skimage's convention; higher = more
            contrast).
        tile_grid: CLAHE tiles per side (int) or ``(rows, cols)``.
        bins: histogram bins.
        stretch: min–max stretch each image's luminance to [0, 1] before equalising (what
            ``skimage.exposure.equalize_adapthist`` does); without it a dark image's histogram sits in a few bins
            and CLAHE's clip limit holds the contrast gain down.
    """

    uses_prior = False
    trainable = False

    def __init__(self, method: str = "clahe", clip_limit: float = 0.01, tile_grid: int | tuple[int, int] = 8,
                 bins: int = 256, stretch: bool = True) -> None:
        super().__init__()
        if method not in METHODS:
            raise ConfigError(f"HistogramEqualization method '{method}' is unknown; use one of {METHODS}")
        grid = (tile_grid, tile_grid) if isinstance(tile_grid, int) else tuple(int(t) for t in tile_grid)
        if len(grid) != 2 or min(grid) < 1 or bins < 2 or clip_limit <= 0:
            raise ConfigError(f"HistogramEqualization needs tile_grid >= 1 (int or two ints), bins >= 2 and "
                              f"clip_limit > 0; got tile_grid={tile_grid}, bins={bins}, clip_limit={clip_limit}")
        self.method, self.clip_limit, self.tile_grid, self.bins = method, float(clip_limit), grid, int(bins)
        self.stretch = bool(stretch)

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        ycbcr = rgb_to_ycbcr(x.clamp(0, 1))
        y = ycbcr[:, :1]
        if self.stretch:
            low = y.amin(dim=(2, 3), keepdim=True)
            y = (y - low) / (y.amax(dim=(2, 3), keepdim=True) - low).clamp_min(1e-6)
        if self.method == "global":
            y = equalize_global(y, self.bins)
        else:
            y = equalize_clahe(y, self.tile_grid, self.clip_limit, self.bins)
        return ycbcr_to_rgb(torch.cat([y, ycbcr[:, 1:]], dim=1)).clamp(0, 1)
