"""Pad images to a network's size multiple and crop back, so any image size can be enhanced."""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor


def pad_to_multiple(x: Tensor, multiple: int) -> tuple[Tensor, tuple[int, int]]:
    """Pad ``x`` (B×C×H×W) on the bottom/right to the next multiple; returns the padded tensor and the original H, W.

    Reflect padding keeps image statistics at the border; tiny images fall back to replicate (reflect needs
    pad < size).
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x, (h, w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode), (h, w)


def crop_to(x: Tensor, size: tuple[int, int]) -> Tensor:
    return x[..., : size[0], : size[1]]


def lcm(*values: int) -> int:
    out = 1
    for v in values:
        out = out * max(1, int(v)) // math.gcd(out, max(1, int(v)))
    return out
