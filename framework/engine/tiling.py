"""Tiled inference for images too large to enhance in one pass, and grouping of same-size images into batches.

:func:`tiled_forward` cuts a ``B×C×H×W`` batch into overlapping square tiles, runs the network on batches of tiles
and blends them back with a window normalised by the summed weights. Along each axis, on sides that meet another
tile (image borders keep weight 1), the window is 0 over the outer quarter of the overlap — pixels next to a tile's
cut edge, where the network saw padding instead of the real neighbourhood, are discarded — then a raised cosine rises
to 1 over the middle half, and stays 1 beyond. Where two tiles overlap by exactly ``overlap`` their windows sum to one:
a smooth cross-fade without seams. Tiles start every ``tile - overlap`` pixels and the last one is shifted back to end
at the border, so all tiles have the same size and can be batched.

Every output pixel is a convex combination of tile outputs for that pixel, so tiling reproduces the untiled output
(to float rounding) for any network whose receptive-field radius is at most ``overlap // 4``; beyond that the
difference is confined to the cross-fade bands and shrinks as ``overlap`` grows.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from ..errors import ConfigError
from .padding import crop_to, pad_to_multiple

Network = Callable[[Tensor], Tensor]


def round_tile(tile: int, multiple: int) -> int:
    """``tile`` rounded down to a multiple of ``multiple`` (at least one multiple), so tiles need no padding."""
    multiple = max(1, int(multiple))
    return max(multiple, (int(tile) // multiple) * multiple)


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``[0, length)``, neighbours sharing at least ``overlap``
    pixels; when ``length``, ``tile`` and ``overlap`` are multiples of some m, so is every start.

    ``tile >= length`` gives one tile at 0 (the caller then uses ``length`` as the tile size on this axis).
    """
    if tile >= length:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return sorted(set(starts))


def ramp(overlap: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """The rising edge of the window over ``overlap`` pixels: ``overlap // 4`` zeros, a raised cosine, ones.

    Symmetric in the sense ``ramp + ramp.flip(0) == 1``, so two tiles overlapping by ``overlap`` blend to one.
    """
    margin = overlap // 4
    n = overlap - 2 * margin
    i = torch.arange(n, dtype=torch.float64)
    rise = 0.5 - 0.5 * torch.cos(math.pi * (i + 0.5) / n)
    return torch.cat([torch.zeros(margin, dtype=torch.float64), rise, torch.ones(margin, dtype=torch.float64)]).to(dtype)


def axis_weight(start: int, size: int, length: int, overlap: int, dtype: torch.dtype) -> Tensor:
    """1-D blend weight of the tile ``[start, start + size)``: a :func:`ramp` on each side that meets a neighbour."""
    w = torch.ones(size, dtype=dtype)
    n = min(overlap, size // 2)
    if n <= 0:
        return w
    r = ramp(n, dtype)
    if start > 0:
        w[:n] = r
    if start + size < length:
        w[size - n:] = torch.minimum(w[size - n:], r.flip(0))
    return w


def _check(x: Tensor, tile: int, overlap: int) -> None:
    if x.dim() != 4:
        raise ValueError(f"tiled_forward expects a B×C×H×W batch, got shape {tuple(x.shape)}")
    if tile < 1:
        raise ConfigError(f"tile size must be positive, got {tile}")
    if overlap < 0 or overlap >= tile:
        raise ConfigError(f"tile overlap must be in [0, tile) = [0, {tile}), got {overlap}")


def tiled_forward(fn: Network, x: Tensor, tile: int, overlap: int = 32, multiple: int = 1,
                  max_batch: int = 4) -> Tensor:
    """``fn(x)`` computed tile by tile and blended seamlessly.

    Args:
        fn: maps ``N×C×h×w`` to ``N×C'×h×w`` (same spatial size), e.g. ``lambda t: model(t, mode='tensor')``.
        x: ``B×C×H×W`` input.
        tile: tile side in pixels, rounded down to ``multiple``; a tile that covers the image means one plain call.
        overlap: pixels shared by neighbouring tiles (the width of the cross-fade), rounded up to ``multiple``;
            must stay below the tile size.
        multiple: the network's size multiple (``model.pad_multiple``). The image is padded to it as the model
            would pad it, and every tile starts on a multiple, so strided layers see the same pixel phase as in an
            untiled pass.
        max_batch: at most this many tiles per call of ``fn`` (memory bound).
    """
    multiple = max(1, int(multiple))
    tile = round_tile(tile, multiple)
    overlap = -(-int(overlap) // multiple) * multiple if overlap > 0 else 0
    _check(x, tile, overlap)
    b, _, h, w = x.shape
    if tile >= h and tile >= w:
        return fn(x)
    padded, size = pad_to_multiple(x, multiple)
    ph, pw = padded.shape[-2:]
    th, tw = min(tile, ph), min(tile, pw)
    ys, xs = tile_starts(ph, th, overlap), tile_starts(pw, tw, overlap)
    boxes = [(y, x0) for y in ys for x0 in xs]
    out: Tensor | None = None
    weight_sum = torch.zeros(1, 1, ph, pw, dtype=torch.float32, device=x.device)
    per_call = max(1, max_batch // b)  # tile positions per call; each position holds the whole batch
    for first in range(0, len(boxes), per_call):
        chunk = boxes[first:first + per_call]
        tiles = torch.cat([padded[..., y:y + th, x0:x0 + tw] for y, x0 in chunk], dim=0)
        result = fn(tiles)
        if result.shape[-2:] != (th, tw) or result.shape[0] != tiles.shape[0]:
            raise ValueError(f"tiled_forward: fn changed the tile shape {tuple(tiles.shape)} -> {tuple(result.shape)}")
        if out is None:
            out = torch.zeros(b, result.shape[1], ph, pw, dtype=torch.float32, device=x.device)
        for k, (y, x0) in enumerate(chunk):
            wy = axis_weight(y, th, ph, overlap, torch.float32).to(x.device)
            wx = axis_weight(x0, tw, pw, overlap, torch.float32).to(x.device)
            window = wy[:, None] * wx[None, :]
            out[..., y:y + th, x0:x0 + tw] += result[k * b:(k + 1) * b].float() * window
            weight_sum[..., y:y + th, x0:x0 + tw] += window
    assert out is not None
    return crop_to(out / weight_sum, size).to(result.dtype)


def batch_same_size(paths: Iterable[str | Path], max_batch: int = 8,
                    size_of: Callable[[Path], tuple[int, int]] | None = None) -> list[list[Path]]:
    """Group ``paths`` into batches of images with equal size (at most ``max_batch`` each), in first-seen order.

    ``size_of`` reads an image's size (default: :func:`llie.data.io.image_size`, header only); sizes that cannot
    be read are left to fail on decoding, each alone in its batch.
    """
    if size_of is None:
        from ..data.io import image_size as size_of  # noqa: N813 — a function like the parameter
    groups: dict[object, list[list[Path]]] = {}
    order: list[list[Path]] = []
    for raw in paths:
        path = Path(raw)
        try:
            key: object = tuple(size_of(path))
        except Exception:  # unreadable header: its own batch, so the decode error names only this file
            key = ("unreadable", path)
        batches = groups.setdefault(key, [])
        if not batches or len(batches[-1]) >= max_batch:
            batches.append([])
            order.append(batches[-1])
        batches[-1].append(path)
    return order


def enhance_tensor(fn: Network, x: Tensor, tile: int | None = None, overlap: int = 32, multiple: int = 1,
                   max_batch: int = 4) -> Tensor:
    """``fn(x)`` directly, or tiled when ``tile`` is given and smaller than the image."""
    if tile is None or tile <= 0:
        return fn(x)
    return tiled_forward(fn, x, tile, overlap, multiple, max_batch)


def tile_count(size: Sequence[int], tile: int, overlap: int, multiple: int = 1) -> int:
    """How many tiles :func:`tiled_forward` runs for an ``H×W`` image (for progress and reports)."""
    multiple = max(1, int(multiple))
    h, w = (-(-int(v) // multiple) * multiple for v in size[:2])
    tile = round_tile(tile, multiple)
    overlap = -(-int(overlap) // multiple) * multiple if overlap > 0 else 0
    if tile >= int(size[0]) and tile >= int(size[1]):
        return 1
    return len(tile_starts(h, min(tile, h), overlap)) * len(tile_starts(w, min(tile, w), overlap))
