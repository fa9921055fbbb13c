"""Moment-matching fit of the asymmetric generalised Gaussian (AGGD), batched over many samples at once.

NIQE (and BRISQUE) describe a patch by AGGD parameters of its normalised luminance and of products of neighbours.
The MATLAB release fits the shape ``α`` by a grid search: over ``α ∈ {0.2, 0.201, …, 10}`` it picks the grid
point whose ``ρ(α) = Γ(2/α)² / (Γ(1/α) Γ(3/α))`` is closest to a statistic of the sample. ``ρ`` increases strictly
along the grid, so the closest point is found by binary search among the two neighbours of the statistic — the
same point as the full ``argmin`` of the squared difference (ties go to the lower index, as ``argmin`` does), for
all samples at once. A sample with no negative or no positive value has no defined statistic; like ``argmin`` over
NaN, it gets ``α = 0.2`` and NaN for the undefined scale.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

GRID_START, GRID_STOP, GRID_STEP = 0.2, 10.001, 0.001


@dataclass(frozen=True)
class ShapeGrid:
    """The candidate shapes and, per candidate, ``ρ(α)`` and the two Gamma-function factors the fit needs."""

    alpha: Tensor  # float64, 9801 values
    rho: Tensor  # Γ(2/α)² / (Γ(1/α) Γ(3/α)), strictly increasing
    scale_factor: Tensor  # sqrt(Γ(1/α) / Γ(3/α)): standard deviation -> AGGD scale β
    mean_factor: Tensor  # Γ(2/α) / Γ(1/α): (β_r − β_l) -> the distribution's mean


@functools.lru_cache(maxsize=1)
def shape_grid() -> ShapeGrid:
    """The grid of the MATLAB release, with the Gamma values computed by SciPy as the reference code does."""
    from scipy.special import gamma

    alpha = np.arange(GRID_START, GRID_STOP, GRID_STEP)
    reciprocal = np.reciprocal(alpha)
    rho = np.square(gamma(reciprocal * 2)) / (gamma(reciprocal) * gamma(reciprocal * 3))
    scale_factor = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    mean_factor = gamma(2 / alpha) / gamma(1 / alpha)
    return ShapeGrid(*(torch.from_numpy(a) for a in (alpha, rho, scale_factor, mean_factor)))


@dataclass(frozen=True)
class AGGDFit:
    """Per-sample AGGD parameters (float64): shape, left and right scales, and the distribution's mean."""

    alpha: Tensor
    beta_left: Tensor
    beta_right: Tensor
    mean: Tensor


def nearest_grid_index(values: Tensor, grid: Tensor) -> Tensor:
    """Index of the ``grid`` point (strictly increasing) closest to each value; ties and non-finite values as
    ``argmin((grid - v)²)`` resolves them (lower index; NaN/inf -> 0)."""
    upper = torch.searchsorted(grid, values).clamp_(1, grid.numel() - 1)
    lower = upper - 1
    to_lower = (grid[lower] - values).square()
    to_upper = (grid[upper] - values).square()
    index = torch.where(to_upper < to_lower, upper, lower)
    return torch.where(torch.isfinite(values), index, 0)


def _cube(x: np.ndarray) -> np.ndarray:
    """``x³`` of float32 values, correctly rounded to float32 (as C's ``powf`` gives it; ``x·x·x`` rounds twice)."""
    return (x.astype(np.float64) ** 3).astype(np.float32)


def fit_aggd(samples: Tensor) -> AGGDFit:
    """Fit one AGGD per row of ``samples`` (``N×M``).

    The moment statistics are float32, summed by NumPy, as the reference computes them: the shape is then the same
    grid point as there except where a statistic lies within float32 rounding of the midpoint between two points
    (one such flip moves NIQE by up to ~1e-3). Zeros stand in for the values of the other sign in the one-sided sums.
    The scales and means are float64.
    """
    x = samples.detach().to("cpu", torch.float32).numpy()
    squares = x * x
    with np.errstate(divide="ignore", invalid="ignore"):  # no value of one sign: 0/0 = NaN, as the reference
        negative, positive = x < 0, x > 0
        left_std = np.sqrt((squares * negative).sum(-1) / negative.sum(-1).astype(np.float32))
        right_std = np.sqrt((squares * positive).sum(-1) / positive.sum(-1).astype(np.float32))
        ratio = left_std / right_std
        mean_abs = np.abs(x).mean(-1)
        r_hat = mean_abs * mean_abs / squares.mean(-1)
        ratio_sq = ratio * ratio + np.float32(1)
        r_hat_norm = r_hat * (_cube(ratio) + np.float32(1)) * (ratio + np.float32(1)) / (ratio_sq * ratio_sq)
    grid = shape_grid()
    index = nearest_grid_index(torch.from_numpy(r_hat_norm.astype(np.float64)), grid.rho)
    beta_left = torch.from_numpy(left_std.astype(np.float64)) * grid.scale_factor[index]
    beta_right = torch.from_numpy(right_std.astype(np.float64)) * grid.scale_factor[index]
    return AGGDFit(grid.alpha[index], beta_left, beta_right, (beta_right - beta_left) * grid.mean_factor[index])
