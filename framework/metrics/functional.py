"""PSNR and SSIM on image batches, under a named protocol (see :mod:`framework.metrics.protocols`).

Everything is vectorised torch in float64 on the inputs' device: a batch ``B×C×H×W`` (C = 3 for RGB, or 1 for gray)
gives ``Tensor[B]`` with one score per image, identical to scoring the images one by one. Float64 matters because
8-bit SSIM sums squares of values up to 255² over large windows, and published tables are quoted to 4 decimals.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .protocols import MetricProtocol, get_protocol

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
_PEAK_8BIT = 255.0
_PSNR_IDENTICAL_RETINEXFORMER = 100.0  # Retinexformer's PSNR() returns 100 when the MSE is exactly 0

# BT.601 luma of RGB in [0, 1], as BasicSR's/mmcv's bgr2ycbcr(y_only=True) (weights listed here in R, G, B order).
_LUMA_OFFSET = 16.0
_LUMA_WEIGHTS = (65.481, 128.553, 24.966)


def bt601_luma(rgb: Tensor) -> Tensor:
    """Y of BT.601 YCbCr for RGB in [0, 1] -> ``B×1×H×W`` in [16/255, 235/255], not rounded.

    Single-channel input is returned as is (BasicSR's ``to_y_channel`` does the same for gray images).
    """
    if rgb.shape[1] == 1:
        return rgb
    weights = torch.tensor(_LUMA_WEIGHTS, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return ((rgb * weights).sum(dim=1, keepdim=True) + _LUMA_OFFSET) / 255.0


def match_gt_mean(pred: Tensor, gt: Tensor) -> Tensor:
    """Scale each ``pred`` image so its mean gray level (mean over channels and pixels) equals ``gt``'s; clip to [0, 1].

    This is the "GT mean" evaluation: it removes the global brightness error, which low-light benchmarks leave
    ill-defined. An all-black prediction is left unchanged instead of producing NaNs.
    """
    pred_mean = pred.mean(dim=(1, 2, 3), keepdim=True)
    gt_mean = gt.mean(dim=(1, 2, 3), keepdim=True)
    ratio = torch.where(pred_mean > 0, gt_mean / pred_mean.clamp_min(torch.finfo(pred.dtype).tiny),
                        torch.ones_like(pred_mean))
    return (pred * ratio).clamp(0.0, 1.0)


def _check_pair(pred: Tensor, gt: Tensor) -> None:
    if not isinstance(pred, Tensor) or not isinstance(gt, Tensor):
        raise TypeError(f"pred and gt must be torch tensors, got {type(pred).__name__} and {type(gt).__name__}")
    if pred.dim() != 4:
        raise ValueError(f"expected a batch B×C×H×W, got pred of shape {tuple(pred.shape)}")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt shapes differ: {tuple(pred.shape)} vs {tuple(gt.shape)}")
    if pred.shape[1] not in (1, 3):
        raise ValueError(f"expected 1 (gray) or 3 (RGB) channels, got {pred.shape[1]} in shape {tuple(pred.shape)}")
    if pred.device != gt.device:
        raise ValueError(f"pred and gt are on different devices: {pred.device} vs {gt.device}")
    if pred.shape[0] == 0:
        raise ValueError("empty batch: pred and gt have zero images")


def _prepare(pred: Tensor, gt: Tensor, protocol: MetricProtocol) -> tuple[Tensor, Tensor]:
    """Float64, clamped to [0, 1], GT-mean rescaled (if asked) and border-cropped."""
    _check_pair(pred, gt)
    pred = pred.detach().to(torch.float64).clamp(0.0, 1.0)
    gt = gt.detach().to(torch.float64).clamp(0.0, 1.0)
    if protocol.gt_mean:
        pred = match_gt_mean(pred, gt)
    c = protocol.crop_border
    if c:
        height, width = pred.shape[-2:]
        if height <= 2 * c or width <= 2 * c:
            raise ValueError(f"crop_border={c} leaves nothing of a {height}×{width} image")
        pred, gt = pred[..., c:-c, c:-c], gt[..., c:-c, c:-c]
    return pred, gt


def _to_8bit_scale(x: Tensor) -> Tensor:
    """Values an 8-bit image would hold (round half to even, like numpy and skimage's img_as_ubyte), as float64."""
    return torch.round(x * _PEAK_8BIT)


def _luma_on_scale(x: Tensor, peak: float) -> Tensor:
    return bt601_luma(x / peak) * peak


def psnr(pred: Tensor, gt: Tensor, protocol: MetricProtocol | str = "retinexformer", **overrides) -> Tensor:
    """Peak signal-to-noise ratio in dB per image, ``Tensor[B]`` float64.

    ``pred``/``gt``: ``B×C×H×W`` (C 3 or 1), nominally in [0, 1]; ``pred`` outside is clamped. ``overrides`` set
    protocol options (``crop_border``, ``y_channel``, ``gt_mean``).
    """
    proto = get_protocol(protocol, **overrides)
    pred, gt = _prepare(pred, gt, proto)
    if proto.name == "basicsr":
        peak = _PEAK_8BIT
        pred, gt = _to_8bit_scale(pred), _to_8bit_scale(gt)
    else:  # retinexformer: float images in [0, 1]
        peak = 1.0
    if proto.y_channel:
        pred, gt = _luma_on_scale(pred, peak), _luma_on_scale(gt, peak)
    mse = (pred - gt).square().mean(dim=(1, 2, 3))
    scores = 10.0 * torch.log10(peak * peak / mse)  # inf where mse == 0
    if proto.name == "retinexformer":
        scores = torch.where(mse == 0, torch.full_like(scores, _PSNR_IDENTICAL_RETINEXFORMER), scores)
    return scores


def gaussian_window_1d(device: torch.device | str | None = None) -> Tensor:
    """The normalised 1-D Gaussian (11 taps, σ 1.5) whose outer product is the SSIM window (= OpenCV's kernel)."""
    offsets = torch.arange(SSIM_WINDOW, dtype=torch.float64, device=device) - (SSIM_WINDOW - 1) / 2
    taps = torch.exp(-offsets.square() / (2 * SSIM_SIGMA**2))
    return taps / taps.sum()


def _filter_valid(maps: Tensor) -> Tensor:
    """Separable Gaussian filtering of ``…×H×W`` maps over the valid region only (no padding).

    Written as 2×11 shifted multiply-adds: on CPU this is ~10× faster than float64 ``conv2d``, and the same on GPU.
    """
    taps = gaussian_window_1d().tolist()
    out_h, out_w = maps.shape[-2] - SSIM_WINDOW + 1, maps.shape[-1] - SSIM_WINDOW + 1
    rows = maps[..., 0:out_h, :] * taps[0]
    for offset in range(1, SSIM_WINDOW):
        rows.add_(maps[..., offset:offset + out_h, :], alpha=taps[offset])
    out = rows[..., 0:out_w] * taps[0]
    for offset in range(1, SSIM_WINDOW):
        out.add_(rows[..., offset:offset + out_w], alpha=taps[offset])
    return out


def ssim_8bit(x: Tensor, y: Tensor) -> Tensor:
    """Mean SSIM per image of float64 ``B×C×H×W`` batches on the 0..255 scale (mean over channels and positions)."""
    height, width = x.shape[-2:]
    if height < SSIM_WINDOW or width < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels (after any crop), "
                         f"got {height}×{width}")
    c1 = (SSIM_K1 * _PEAK_8BIT) ** 2
    c2 = (SSIM_K2 * _PEAK_8BIT) ** 2
    stacked = torch.stack([x, y, x * x, y * y, x * y], dim=1)  # B×5×C×H×W: all five statistics in one pass
    mu_x, mu_y, e_xx, e_yy, e_xy = _filter_valid(stacked).unbind(dim=1)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    var_x, var_y, cov_xy = e_xx - mu_xx, e_yy - mu_yy, e_xy - mu_xy
    ssim_map = ((2 * mu_xy + c1) * (2 * cov_xy + c2)) / ((mu_xx + mu_yy + c1) * (var_x + var_y + c2))
    return ssim_map.mean(dim=(1, 2, 3))


def ssim(pred: Tensor, gt: Tensor, protocol: MetricProtocol | str = "retinexformer", **overrides) -> Tensor:
    """Structural similarity per image, ``Tensor[B]`` float64, on 8-bit values (both protocols).

    Gaussian 11×11 window (σ 1.5), K1 0.01, K2 0.03, L 255, valid region, mean over channels; with ``y_channel`` on
    the unrounded BT.601 luma of the 8-bit image. Images smaller than 11×11 (after cropping) raise ``ValueError``.
    """
    proto = get_protocol(protocol, **overrides)
    pred, gt = _prepare(pred, gt, proto)
    pred, gt = _to_8bit_scale(pred), _to_8bit_scale(gt)
    if proto.y_channel:
        pred, gt = _luma_on_scale(pred, _PEAK_8BIT), _luma_on_scale(gt, _PEAK_8BIT)
    return ssim_8bit(pred, gt)
