"""NIQE (Mittal et al. 2013, "Making a 'Completely Blind' Image Quality Analyzer") as the MATLAB release computes it.

Lower is better: NIQE is the distance between a multivariate Gaussian fitted to natural-scene statistics of the
image's 96×96 blocks and the one fitted to pristine photographs (the parameters in ``data/niqe_pris_params.npz``;
see the README there for their origin). It is the field's score for unpaired low-light sets (DICM, LIME, MEF, NPE,
VV). Steps, each as the MATLAB release and BasicSR 1.4.2's ``calculate_niqe`` (which reproduces MATLAB R2021a) do:

1. the image as 8-bit levels (what a saved result holds), then the Y of MATLAB's ``rgb2ycbcr`` on 0..255 (BT.601,
   offset 16), rounded to integers; a gray image is used as it is; no border crop by default;
2. the image cropped to whole 96×96 blocks (bottom and right remainders dropped);
3. MSCN coefficients ``(Y − μ) / (σ + 1)`` with μ, σ from the pristine model's 7×7 Gaussian window (σ 7/6),
   borders replicated;
4. per block, 18 features: AGGD fits (:mod:`llie.metrics.aggd`) of the coefficients and of their products with the
   horizontal, vertical and two diagonal neighbours (neighbours wrap around inside the block);
5. the same at half resolution (MATLAB's bicubic ``imresize`` by 0.5 with antialiasing, 48×48 blocks): 36 features;
6. ``sqrt((μ_p − μ)ᵀ pinv((Σ_p + Σ)/2) (μ_p − μ))`` with μ the NaN-ignoring mean of the block features and Σ their
   covariance over the blocks without NaN.

Precision follows the reference, which works in float32, because the shape fit snaps to a 0.001 grid and one
statistic rounded the other way can move the score by ~1e-3: μ, σ and the coefficients are float32 (filtered in
float64, then rounded — so flat regions give exactly zero coefficients, as there), the half-resolution image is
resized in float32 as BasicSR does, the fits' moment statistics are float32 summed by NumPy; the grid lookup, the
scales and the final distance are float64. On 99 real photos (DICM, MEF, NPE, LOL samples) the scores are within
5.2e-5 of BasicSR 1.4.2's, most within 1e-6.

All blocks of an image are fitted at once. Images need at least two blocks (e.g. 96×192 pixels; BasicSR fails on
smaller ones); an image with fewer than two blocks of defined statistics (e.g. a uniform one) has no NIQE: NaN.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import ConfigError
from .aggd import fit_aggd
from .eight_bit import PEAK_8BIT, eight_bit_levels
from .matlab_resize import imresize
from .no_reference import NoReferenceMetric
from .opencv_backend import for_each_plane, opencv, opencv_usable

PARAMS_FILE = Path(__file__).parent / "data" / "niqe_pris_params.npz"
BLOCK_SIZE = 96  # the block size the pristine model was fitted with
#: neighbour offsets (rows, columns) of the four pairwise-product maps: horizontal, vertical, two diagonals
NEIGHBOUR_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))
#: MATLAB rgb2ycbcr's Y row on [0, 1] input, in B, G, R order as BasicSR's ``bgr2ycbcr`` sums it
_Y_WEIGHTS_BGR = (24.966, 128.553, 65.481)
_Y_OFFSET = 16.0
_PINV_RCOND = 1e-15  # numpy.linalg.pinv's default cut-off, which the reference uses


@dataclass(frozen=True)
class PristineModel:
    """The pristine MVG (36-D mean and covariance, float64) and the MSCN window (7×7, float64)."""

    mean: Tensor
    covariance: Tensor
    window: Tensor


@functools.lru_cache(maxsize=1)
def pristine_model() -> PristineModel:
    """The parameters shipped in ``data/niqe_pris_params.npz`` (loaded once)."""
    with np.load(PARAMS_FILE, allow_pickle=False) as data:
        return PristineModel(torch.from_numpy(data["mu_pris_param"].reshape(-1).astype(np.float64)),
                             torch.from_numpy(data["cov_pris_param"].astype(np.float64)),
                             torch.from_numpy(data["gaussian_window"].astype(np.float64)))


def luma_levels(image: Tensor) -> Tensor:
    """``C×H×W`` in [0, 1] (C = 3 RGB, or 1 gray) -> ``H×W`` float32: MATLAB's Y on 8-bit levels, rounded.

    As BasicSR's ``to_y_channel`` of the 8-bit image followed by ``round()``: Y computed in float64 from the float32
    values ``level / 255``, divided by 255 into float32, multiplied back by 255 in float32 and rounded (the same
    integer as BasicSR's for every one of the 2²⁴ colours).
    """
    levels = eight_bit_levels(image.detach().to("cpu", torch.float32).clamp(0.0, 1.0))
    if levels.shape[0] == 1:
        return levels[0]
    unit = (levels / PEAK_8BIT).to(torch.float64)
    red, green, blue = unit
    y = blue * _Y_WEIGHTS_BGR[0] + green * _Y_WEIGHTS_BGR[1] + red * _Y_WEIGHTS_BGR[2] + _Y_OFFSET
    return torch.round((y / PEAK_8BIT).to(torch.float32) * PEAK_8BIT)


def filter_nearest(planes: list[Tensor], window: Tensor) -> list[Tensor]:
    """``window`` convolved with each ``H×W`` plane in float64, borders replicated (SciPy's
    ``convolve(mode='nearest')``). OpenCV's ``filter2D`` on CPU, else shifted multiply-adds in torch."""
    kernel = window.flip(0, 1)  # a convolution, not a correlation
    sources = [p.to(torch.float64).contiguous() for p in planes]
    if all(opencv_usable(p) for p in sources):
        cv2 = opencv()
        results = [torch.empty_like(p) for p in sources]
        kernel_np = kernel.numpy()

        def work(i: int) -> None:
            cv2.filter2D(sources[i].numpy(), cv2.CV_64F, kernel_np, dst=results[i].numpy(),
                         borderType=cv2.BORDER_REPLICATE)

        for_each_plane(len(sources), work)
        return results
    return [_filter_nearest_torch(p, kernel) for p in sources]


def _filter_nearest_torch(plane: Tensor, kernel: Tensor) -> Tensor:
    radius_h, radius_w = kernel.shape[0] // 2, kernel.shape[1] // 2
    padded = F.pad(plane[None, None], (radius_w, radius_w, radius_h, radius_h), mode="replicate")[0, 0]
    height, width = plane.shape
    out = torch.zeros_like(plane)
    for i, row in enumerate(kernel.tolist()):
        for j, weight in enumerate(row):
            out.add_(padded[i:i + height, j:j + width], alpha=weight)
    return out


def mscn(plane: Tensor, window: Tensor) -> Tensor:
    """Mean-subtracted, contrast-normalised coefficients of a float32 plane on 0..255, in float32 (see module)."""
    mu, second = (t.to(torch.float32) for t in filter_nearest([plane, plane * plane], window))
    # square root in float64, then rounded: torch's vectorised float32 sqrt is not always correctly rounded
    sigma = (second - mu * mu).abs_().to(torch.float64).sqrt_().to(torch.float32)
    return (plane - mu) / (sigma + 1)


def block_features(coefficients: Tensor, block: int) -> Tensor:
    """``N×18`` float64 features of the ``block×block`` tiles of an MSCN map whose sides are multiples of ``block``.

    Tiles are ordered column of blocks by column of blocks, as the reference loops.
    """
    rows, cols = coefficients.shape[0] // block, coefficients.shape[1] // block
    tiles = coefficients.reshape(rows, block, cols, block).permute(2, 0, 1, 3).reshape(rows * cols, block, block)
    maps = [tiles] + [tiles * torch.roll(tiles, shifts=shift, dims=(1, 2)) for shift in NEIGHBOUR_SHIFTS]
    fit = fit_aggd(torch.stack(maps).reshape(len(maps) * rows * cols, block * block))
    alpha, left, right, mean = (t.reshape(len(maps), rows * cols) for t in
                                (fit.alpha, fit.beta_left, fit.beta_right, fit.mean))
    columns = [alpha[0], (left[0] + right[0]) / 2]
    for k in range(1, len(maps)):
        columns += [alpha[k], mean[k], left[k], right[k]]
    return torch.stack(columns, dim=1)


def niqe_features(luma: Tensor, model: PristineModel | None = None) -> Tensor:
    """``N×36`` block features of a float32 luma plane on 0..255 (two scales), N ≥ 2 whole 96×96 blocks."""
    model = model or pristine_model()
    rows, cols = luma.shape[0] // BLOCK_SIZE, luma.shape[1] // BLOCK_SIZE
    if rows * cols < 2:  # the block features' covariance needs two blocks
        raise ValueError(f"NIQE needs at least two {BLOCK_SIZE}×{BLOCK_SIZE} blocks (e.g. {BLOCK_SIZE}×"
                         f"{2 * BLOCK_SIZE} pixels), got {luma.shape[0]}×{luma.shape[1]} (H×W)")
    plane = luma[:rows * BLOCK_SIZE, :cols * BLOCK_SIZE].to(torch.float32)
    full = block_features(mscn(plane, model.window), BLOCK_SIZE)
    half_plane = imresize(plane / PEAK_8BIT, 0.5) * PEAK_8BIT
    half = block_features(mscn(half_plane, model.window), BLOCK_SIZE // 2)
    return torch.cat([full, half], dim=1)


def niqe_distance(features: Tensor, model: PristineModel | None = None) -> float:
    """The NIQE score of block features: Mahalanobis-like distance of their MVG to the pristine one."""
    model = model or pristine_model()
    mean = torch.nanmean(features, dim=0)
    complete = features[~features.isnan().any(dim=1)]
    if complete.shape[0] < 2:
        return math.nan
    covariance = torch.cov(complete.T)
    inverse = torch.linalg.pinv((model.covariance + covariance) / 2, rtol=_PINV_RCOND)
    delta = model.mean - mean
    return float((delta @ inverse @ delta).sqrt())


def niqe_of_luma(luma: Tensor) -> float:
    """NIQE of an ``H×W`` luma plane of integer levels 0..255 (float32)."""
    model = pristine_model()
    return niqe_distance(niqe_features(luma, model), model)


def compute_niqe(images: Tensor, crop_border: int = 0) -> Tensor:
    """NIQE of ``B×C×H×W`` (or ``C×H×W``) images in [0, 1] (C = 3 RGB or 1 gray) -> float64 ``Tensor[B]``.

    ``crop_border`` pixels are dropped from every side of the luma plane first (BasicSR's option; 0 by default).
    """
    batch = images[None] if images.dim() == 3 else images
    if batch.dim() != 4 or batch.shape[1] not in (1, 3):
        raise ValueError(f"NIQE expects B×3×H×W or B×1×H×W images, got shape {tuple(images.shape)}")
    scores = []
    for image in batch:
        luma = luma_levels(image)
        if crop_border:
            luma = luma[crop_border:-crop_border, crop_border:-crop_border]
        scores.append(niqe_of_luma(luma))
    return torch.tensor(scores, dtype=torch.float64)


class NIQE(NoReferenceMetric):
    """NIQE of each enhanced image, averaged over the set (lower is better); see the module docstring."""

    name = "niqe"
    higher_is_better = False

    def __init__(self, crop_border: int = 0, prefix: str | None = None, collect_device: str = "cpu") -> None:
        super().__init__(prefix=prefix, collect_device=collect_device)
        if isinstance(crop_border, bool) or not isinstance(crop_border, int) or crop_border < 0:
            raise ConfigError(f"NIQE: crop_border must be a non-negative integer, got {crop_border!r}")
        self.crop_border = crop_border

    def score(self, image: Tensor) -> float:
        return float(compute_niqe(image, self.crop_border)[0])
