"""Colour error of enhanced images against ground truth: mean CIEDE2000 ΔE (lower is better), on whole batches.

PSNR and SSIM barely move when an output is washed out (its chroma shrunk towards gray) while its lightness is right;
ΔE measures exactly that, in a space built to match perceived colour differences. ΔE ≈ 1 is a just-noticeable
difference, ≥ 10 a clearly different colour.

Steps, as scikit-image's ``rgb2lab`` and ``deltaE_ciede2000`` compute them (checked against them on real photos):
sRGB in [0, 1] → linear RGB (IEC 61966-2-1 transfer curve) → XYZ (sRGB primaries) → CIELAB under the D65 white of the
2° observer → CIEDE2000 (Sharma, Wu & Dalal 2005; kL = kC = kH = 1) per pixel → the mean over the pixels of each image.
Work is in float64 (the formula has cancellations in its hue terms).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

#: linear sRGB -> XYZ (rows X, Y, Z), as scikit-image's ``xyz_from_rgb``
_XYZ_FROM_RGB = ((0.412453, 0.357580, 0.180423),
                 (0.212671, 0.715160, 0.072169),
                 (0.019334, 0.119193, 0.950227))
#: the D65 white point of the 2° observer (X, Y, Z)
_D65 = (0.95047, 1.0, 1.08883)
_LAB_EPSILON = 0.008856  # (6/29)^3, rounded as the reference rounds it
_LAB_KAPPA_SLOPE = 7.787


def srgb_to_lab(rgb: Tensor) -> Tensor:
    """``B×3×H×W`` sRGB in [0, 1] → ``B×3×H×W`` CIELAB (L in [0, 100]; a, b roughly in [−128, 127]), float64."""
    rgb = rgb.to(torch.float64).clamp(0.0, 1.0)
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    matrix = torch.tensor(_XYZ_FROM_RGB, dtype=torch.float64, device=rgb.device)
    white = torch.tensor(_D65, dtype=torch.float64, device=rgb.device).view(1, 3, 1, 1)
    xyz = torch.einsum("ij,bjhw->bihw", matrix, linear) / white
    f = torch.where(xyz > _LAB_EPSILON, xyz.clamp_min(0.0) ** (1.0 / 3.0), _LAB_KAPPA_SLOPE * xyz + 16.0 / 116.0)
    fx, fy, fz = f.unbind(dim=1)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], dim=1)


def _polar(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Chroma and hue angle in [0, 2π)."""
    hue = torch.atan2(b, a)
    return torch.hypot(a, b), torch.where(hue < 0, hue + 2 * math.pi, hue)


def ciede2000(lab1: Tensor, lab2: Tensor) -> Tensor:
    """Per-pixel CIEDE2000 between two ``B×3×H×W`` CIELAB batches → ``B×H×W`` (float64)."""
    L1, a1, b1 = lab1.to(torch.float64).unbind(dim=1)
    L2, a2, b2 = lab2.to(torch.float64).unbind(dim=1)
    c7 = (0.5 * (torch.hypot(a1, b1) + torch.hypot(a2, b2))) ** 7
    scale = 1.0 + 0.5 * (1.0 - torch.sqrt(c7 / (c7 + 25.0 ** 7)))  # a* stretched for near-neutral colours
    C1, h1 = _polar(a1 * scale, b1)
    C2, h2 = _polar(a2 * scale, b2)

    lightness_gap = (0.5 * (L1 + L2) - 50.0) ** 2
    L_term = (L2 - L1) / (1.0 + 0.015 * lightness_gap / torch.sqrt(20.0 + lightness_gap))
    C_mean = 0.5 * (C1 + C2)
    C_term = (C2 - C1) / (1.0 + 0.045 * C_mean)

    h_diff, h_sum, CC = h2 - h1, h1 + h2, C1 * C2
    dh = torch.where(h_diff > math.pi, h_diff - 2 * math.pi, torch.where(h_diff < -math.pi, h_diff + 2 * math.pi, h_diff))
    dh = torch.where(CC == 0, torch.zeros_like(dh), dh)
    wrap = (CC != 0) & (h_diff.abs() > math.pi)
    h_mean = torch.where(wrap & (h_sum < 2 * math.pi), h_sum + 2 * math.pi,
                         torch.where(wrap & (h_sum >= 2 * math.pi), h_sum - 2 * math.pi, h_sum))
    h_mean = torch.where(CC == 0, 2 * h_mean, h_mean) * 0.5
    T = (1.0 - 0.17 * torch.cos(h_mean - math.radians(30)) + 0.24 * torch.cos(2 * h_mean)
         + 0.32 * torch.cos(3 * h_mean + math.radians(6)) - 0.20 * torch.cos(4 * h_mean - math.radians(63)))
    H_term = 2.0 * torch.sqrt(CC) * torch.sin(dh / 2) / (1.0 + 0.015 * C_mean * T)

    c7 = C_mean ** 7
    rotation = 2.0 * torch.sqrt(c7 / (c7 + 25.0 ** 7))
    dtheta = math.radians(30) * torch.exp(-(((torch.rad2deg(h_mean) - 275.0) / 25.0) ** 2))
    R_term = -torch.sin(2 * dtheta) * rotation * C_term * H_term
    return torch.sqrt((L_term ** 2 + C_term ** 2 + H_term ** 2 + R_term).clamp_min(0.0))


def delta_e(pred: Tensor, gt: Tensor) -> Tensor:
    """Mean CIEDE2000 ΔE of each image of two ``B×3×H×W`` sRGB batches in [0, 1] → ``Tensor[B]`` (float64)."""
    if pred.shape != gt.shape or pred.dim() != 4 or pred.shape[1] != 3:
        raise ValueError(f"delta_e needs two B×3×H×W RGB batches of one shape, got {tuple(pred.shape)} and "
                         f"{tuple(gt.shape)}")
    return ciede2000(srgb_to_lab(gt), srgb_to_lab(pred)).mean(dim=(1, 2))
