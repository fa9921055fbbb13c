"""PSNR and SSIM on image batches, under a named protocol (see :mod:`llie.metrics.protocols`).

A batch ``B×C×H×W`` (C = 3 for RGB, or 1 for gray) gives ``Tensor[B]`` (float64) with one score per image, identical
to scoring the images one by one. Any device works; on CPU the per-pixel work runs in OpenCV kernels
(:mod:`llie.metrics.opencv_backend`), elsewhere in torch.

Two precisions, chosen per call with ``precision=``:

- ``"fast"`` (default): SSIM filtered in float32 with centred sum/difference statistics
  (:mod:`llie.metrics.fast_ssim`): within ~3e-7 of the float64 values on natural images, ≈ 5e-6 on synthetic
  worst cases. Its 8-bit rounding is done in float32, so a float32 input that lands exactly on a half level may
  round the other way (≈ 1e-9 per such pixel). PSNR keeps float32 differences with a float64 sum (≤ 1e-6 dB).
- ``"exact"``: every step in float64 as scikit-image computes it (agreement ~1e-15), 8-bit levels rounded exactly
  (:mod:`llie.metrics.eight_bit`). Use it when results must match a float64 reference bit for bit.

``psnr_ssim`` returns both metrics and shares the clamping, cropping and rounding between them.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .eight_bit import PEAK_8BIT as _PEAK_8BIT
from .eight_bit import eight_bit_levels
from .fast_ssim import ssim_8bit_fast, ssim_fast_from_unit
from .gaussian_filter import SSIM_SIGMA, SSIM_WINDOW, filter_valid, gaussian_window_1d
from .opencv_backend import opencv_usable, squared_distance
from .protocols import GT_MEAN_GRAYS, MetricProtocol, get_protocol
from .scratch import clamped, scratch

__all__ = ["GT_MEAN_GRAYS", "PRECISIONS", "SSIM_SIGMA", "SSIM_WINDOW", "bt601_luma", "gaussian_window_1d", "gray_mean",
           "match_gt_mean", "prepared_pair", "psnr", "psnr_ssim", "ssim", "ssim_8bit", "ssim_8bit_fast"]

SSIM_K1 = 0.01
SSIM_K2 = 0.03
PRECISIONS = ("fast", "exact")
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


#: Gray level of an RGB-ordered image as the field's GT-mean code computes it: ``cv2.cvtColor(img, COLOR_BGR2GRAY)``
#: applied to RGB data (Retinexformer's test_from_dataset.py, after KinD's evaluate_LOLdataset.py and LLFlow), so the
#: BGR weights land on the RGB channels as stored: 0.114·R + 0.587·G + 0.299·B.
_BGR2GRAY_ON_RGB = (0.114, 0.587, 0.299)


def gray_mean(images: Tensor, gray: str = "bgr2gray") -> Tensor:
    """Mean gray level per image of a ``B×C×H×W`` batch, ``B×1×1×1``.

    ``'bgr2gray'`` (the field's GT-mean convention, see :data:`_BGR2GRAY_ON_RGB`); ``'rgb_mean'`` the plain mean over
    channels and pixels. A single-channel image is its own gray level either way.
    """
    if gray not in GT_MEAN_GRAYS:
        raise ValueError(f"unknown GT-mean gray level {gray!r}; use one of {', '.join(GT_MEAN_GRAYS)}")
    if gray == "rgb_mean" or images.shape[1] == 1:
        return images.mean(dim=(1, 2, 3), keepdim=True)
    weights = torch.tensor(_BGR2GRAY_ON_RGB, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images.mean(dim=(2, 3), keepdim=True) * weights).sum(dim=1, keepdim=True)


def match_gt_mean(pred: Tensor, gt: Tensor, gray: str = "bgr2gray") -> Tensor:
    """Scale each ``pred`` image so its mean gray level equals ``gt``'s; clip to [0, 1].

    This is the "GT mean" evaluation: it removes the global brightness error, which low-light benchmarks leave
    ill-defined. ``gray`` picks the gray level (:func:`gray_mean`); the default reproduces the published code
    (``m_r = cv2.cvtColor(restored, BGR2GRAY).mean()``, ``m_t`` likewise, ``clip(restored · m_t / m_r, 0, 1)``).
    An all-black prediction is left unchanged instead of producing NaNs.
    """
    pred_mean, gt_mean = gray_mean(pred, gray), gray_mean(gt, gray)
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


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")


def _working_dtype(pred: Tensor, gt: Tensor, protocol: MetricProtocol, precision: str) -> torch.dtype:
    """Float64 for ``exact``, for float64 inputs and for GT-mean rescaling (a global ratio); float32 otherwise."""
    if precision == "exact" or protocol.gt_mean or torch.float64 in (pred.dtype, gt.dtype):
        return torch.float64
    return torch.float32


def _prepare(pred: Tensor, gt: Tensor, protocol: MetricProtocol, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """In ``dtype``, clamped to [0, 1], GT-mean rescaled (if asked) and border-cropped.

    Read only: the results may be the inputs themselves or this thread's scratch buffers.
    """
    pred, gt = clamped(pred.detach().to(dtype), "metrics.pred"), clamped(gt.detach().to(dtype), "metrics.gt")
    if protocol.gt_mean:
        pred = match_gt_mean(pred, gt, protocol.gt_mean_gray)
    return _crop(pred, gt, protocol.crop_border)


def prepared_pair(pred: Tensor, gt: Tensor, protocol: MetricProtocol | str = "retinexformer") -> tuple[Tensor, Tensor]:
    """The float64 images a protocol scores (clamped, GT-mean rescaled when asked, border-cropped), for metrics
    beyond PSNR/SSIM such as the colour error. Fresh tensors, safe to keep."""
    _check_pair(pred, gt)
    pred, gt = _prepare(pred, gt, get_protocol(protocol), torch.float64)
    return pred.clone(), gt.clone()


def _crop(pred: Tensor, gt: Tensor, border: int) -> tuple[Tensor, Tensor]:
    if border:
        height, width = pred.shape[-2:]
        if height <= 2 * border or width <= 2 * border:
            raise ValueError(f"crop_border={border} leaves nothing of a {height}×{width} image")
        pred, gt = pred[..., border:-border, border:-border], gt[..., border:-border, border:-border]
    return pred, gt


def _luma_on_scale(x: Tensor, peak: float) -> Tensor:
    """BT.601 luma of ``x`` on the 0..``peak`` scale, in float64 (a weighted sum of one image: not worth float32)."""
    x = x.to(torch.float64)
    return bt601_luma(x / peak) * peak


def _sum_of_squared_differences(pred: Tensor, gt: Tensor, rows_in_float32: bool) -> Tensor:
    """Per-image ``Σ (pred − gt)²`` as float64.

    On CPU one OpenCV pass per plane with a float64 accumulator. Elsewhere the differences stay in the inputs' dtype;
    with ``rows_in_float32`` (float32 differences of [0, 1] images) each row is summed in float32 first (a row of a
    few hundred squares ≤ 1 loses < 1e-6 relative) instead of casting everything to float64, which costs a pass.
    """
    if opencv_usable(pred):
        return torch.tensor([squared_distance(p, g) for p, g in zip(pred, gt)], dtype=torch.float64)
    squares = torch.sub(pred, gt, out=scratch("metrics.difference", pred.shape, pred.dtype, pred.device)).square_()
    if rows_in_float32 and squares.dtype == torch.float32:
        return squares.sum(dim=-1).sum(dim=(1, 2), dtype=torch.float64)
    return squares.sum(dim=(1, 2, 3), dtype=torch.float64)  # exact for 8-bit level differences


def _psnr_prepared(pred: Tensor, gt: Tensor, protocol: MetricProtocol,
                   levels: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """PSNR of clamped, cropped images; ``levels`` are their 8-bit values if the caller already has them."""
    if protocol.name == "basicsr":
        peak = _PEAK_8BIT
        pred, gt = levels if levels is not None else (eight_bit_levels(pred), eight_bit_levels(gt))
    else:  # retinexformer: float images in [0, 1]
        peak = 1.0
    if protocol.y_channel:
        pred, gt = _luma_on_scale(pred, peak), _luma_on_scale(gt, peak)
    float_images = protocol.name == "retinexformer" and not protocol.y_channel
    mse = _sum_of_squared_differences(pred, gt, rows_in_float32=float_images) / pred[0].numel()
    scores = 10.0 * torch.log10(peak * peak / mse)  # inf where mse == 0
    if protocol.name == "retinexformer":
        scores = torch.where(mse == 0, torch.full_like(scores, _PSNR_IDENTICAL_RETINEXFORMER), scores)
    return scores


def _ssim_prepared(pred: Tensor, gt: Tensor, protocol: MetricProtocol, precision: str,
                   levels: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """SSIM of clamped, cropped images on their 8-bit levels (or the levels' unrounded luma with ``y_channel``)."""
    x, y = levels if levels is not None else (eight_bit_levels(pred), eight_bit_levels(gt))
    if protocol.y_channel:
        x, y = _luma_on_scale(x, _PEAK_8BIT), _luma_on_scale(y, _PEAK_8BIT)
    if precision == "exact":
        return ssim_8bit(x.to(torch.float64), y.to(torch.float64))
    return ssim_8bit_fast(x, y)


def _fused_fast_ssim(protocol: MetricProtocol, precision: str) -> bool:
    """Plain RGB/gray SSIM at ``fast`` precision clamps, rounds and centres the raw input in fused passes."""
    return precision == "fast" and not protocol.gt_mean and not protocol.y_channel


def psnr(pred: Tensor, gt: Tensor, protocol: MetricProtocol | str = "retinexformer", *, precision: str = "fast",
         **overrides) -> Tensor:
    """Peak signal-to-noise ratio in dB per image, ``Tensor[B]`` float64.

    ``pred``/``gt``: ``B×C×H×W`` (C 3 or 1), nominally in [0, 1]; ``pred`` outside is clamped. ``overrides`` set
    protocol options (``crop_border``, ``y_channel``, ``gt_mean``). ``precision='fast'`` keeps float32 inputs in
    float32 (≤ 1e-6 dB from ``'exact'``); float64 inputs and the 8-bit BasicSR protocol are exact either way.
    """
    _check_precision(precision)
    _check_pair(pred, gt)
    proto = get_protocol(protocol, **overrides)
    pred, gt = _prepare(pred, gt, proto, _working_dtype(pred, gt, proto, precision))
    return _psnr_prepared(pred, gt, proto)


def ssim(pred: Tensor, gt: Tensor, protocol: MetricProtocol | str = "retinexformer", *, precision: str = "fast",
         **overrides) -> Tensor:
    """Structural similarity per image, ``Tensor[B]`` float64, on 8-bit values (both protocols).

    Gaussian 11×11 window (σ 1.5), K1 0.01, K2 0.03, L 255, valid region, mean over channels; with ``y_channel`` on
    the unrounded BT.601 luma of the 8-bit image. Images smaller than 11×11 (after cropping) raise ``ValueError``.
    ``precision='fast'`` filters in float32 (see the module docstring); ``'exact'`` in float64.
    """
    _check_precision(precision)
    _check_pair(pred, gt)
    proto = get_protocol(protocol, **overrides)
    if _fused_fast_ssim(proto, precision):
        return ssim_fast_from_unit(*_crop(pred.detach(), gt.detach(), proto.crop_border))
    pred, gt = _prepare(pred, gt, proto, _working_dtype(pred, gt, proto, precision))
    return _ssim_prepared(pred, gt, proto, precision)


def psnr_ssim(pred: Tensor, gt: Tensor, protocol: MetricProtocol | str = "retinexformer", *,
              precision: str = "fast", **overrides) -> tuple[Tensor, Tensor]:
    """``(psnr(...), ssim(...))`` in one call: validation, clamping, cropping and 8-bit rounding happen once."""
    _check_precision(precision)
    _check_pair(pred, gt)
    proto = get_protocol(protocol, **overrides)
    prepared = _prepare(pred, gt, proto, _working_dtype(pred, gt, proto, precision))
    if _fused_fast_ssim(proto, precision) and proto.name == "retinexformer":
        # Float PSNR needs no 8-bit levels; SSIM rounds the clamped images in its own fused passes.
        return _psnr_prepared(*prepared, proto), ssim_fast_from_unit(*prepared, clamped=True)
    levels = eight_bit_levels(prepared[0]), eight_bit_levels(prepared[1])
    return _psnr_prepared(*prepared, proto, levels), _ssim_prepared(*prepared, proto, precision, levels)


def ssim_8bit(x: Tensor, y: Tensor) -> Tensor:
    """Mean SSIM per image of float64 ``B×C×H×W`` batches on the 0..255 scale (mean over channels and positions).

    The float64 reference: the five local statistics filtered as they are, the SSIM formula as written.
    """
    c1 = (SSIM_K1 * _PEAK_8BIT) ** 2
    c2 = (SSIM_K2 * _PEAK_8BIT) ** 2
    stats = torch.empty((x.shape[0], 5, *x.shape[1:]), dtype=x.dtype, device=x.device)  # B×5×C×H×W, one buffer
    stats[:, 0], stats[:, 1] = x, y
    torch.mul(x, x, out=stats[:, 2])
    torch.mul(y, y, out=stats[:, 3])
    torch.mul(x, y, out=stats[:, 4])
    mu_x, mu_y, e_xx, e_yy, e_xy = filter_valid(stats).unbind(dim=1)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    var_x, var_y, cov_xy = e_xx - mu_xx, e_yy - mu_yy, e_xy - mu_xy
    ssim_map = ((2 * mu_xy + c1) * (2 * cov_xy + c2)) / ((mu_xx + mu_yy + c1) * (var_x + var_y + c2))
    return ssim_map.mean(dim=(1, 2, 3))
