"""Small image filters in plain torch (differentiable, device-agnostic) used by the Retinex components."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

#: ITU-R BT.601 luma weights (RGB order)
LUMA = (0.299, 0.587, 0.114)


def rgb_to_gray(x: Tensor) -> Tensor:
    """``B×3×H×W -> B×1×H×W`` luma."""
    w = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True)


def box_mean(x: Tensor, radius: int) -> Tensor:
    """Mean over the ``(2r+1)²`` window, counting only pixels inside the image (no dark border halo)."""
    if radius <= 0:
        return x
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur, radius ⌈3σ⌉, replicate borders, per channel."""
    if sigma <= 0:
        return x
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
                    groups=c)


def guided_filter(guide: Tensor, src: Tensor, radius: int, eps: float) -> Tensor:
    """He et al.'s guided filter (gray guide): smooths ``src`` while keeping the edges of ``guide``.

    Locally ``q = a·guide + b`` with ``a = cov(guide, src) / (var(guide) + eps)``; larger ``eps`` smooths more.
    """
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(src, radius)
    cov_ip = box_mean(guide * src, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius) * guide + box_mean(b, radius)


def forward_differences(x: Tensor) -> tuple[Tensor, Tensor]:
    """``|∂x|`` and ``|∂y|`` by forward differences, zero on the last column/row; same shape as ``x``."""
    dx = F.pad((x[..., :, 1:] - x[..., :, :-1]).abs(), (0, 1, 0, 0))
    dy = F.pad((x[..., 1:, :] - x[..., :-1, :]).abs(), (0, 0, 0, 1))
    return dx, dy
