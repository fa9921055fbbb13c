"""The batched AGGD fit: grid search as argmin does it, and the parameters of known distributions."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from llie.metrics.aggd import fit_aggd, nearest_grid_index, shape_grid


def test_nearest_grid_index_is_argmin_of_squared_difference():
    grid = shape_grid().rho
    rng = np.random.default_rng(0)
    midpoints = ((grid[:-1] + grid[1:]) / 2)[rng.integers(0, grid.numel() - 1, 50)]
    values = torch.cat([torch.from_numpy(rng.uniform(0.0, 0.8, 500)), grid[[0, 7, 4000, -1]], midpoints,
                        torch.tensor([-1.0, 5.0])])
    expected = torch.argmin((grid[None, :] - values[:, None]).square(), dim=1)
    assert torch.equal(nearest_grid_index(values, grid), expected)


def test_undefined_statistics_take_the_first_grid_point_as_argmin_over_nan_does():
    grid = shape_grid().rho
    assert nearest_grid_index(torch.tensor([math.nan, math.inf]), grid).tolist() == [0, 0]


def test_grid_is_the_matlab_one():
    grid = shape_grid()
    assert grid.alpha.numel() == 9801 and grid.alpha[0] == pytest.approx(0.2) and grid.alpha[-1] == pytest.approx(10)
    assert bool((grid.rho[1:] > grid.rho[:-1]).all())  # strictly increasing: the binary search is valid


@pytest.mark.parametrize("sampler, alpha", [("normal", 2.0), ("laplace", 1.0)])
def test_fit_recovers_the_shape_of_symmetric_distributions(sampler, alpha):
    samples = getattr(np.random.default_rng(0), sampler)(size=(4, 200_000)).astype(np.float32)
    fit = fit_aggd(torch.from_numpy(samples))
    assert fit.alpha.tolist() == pytest.approx([alpha] * 4, abs=0.05)
    assert fit.mean.abs().max() < 0.02 and torch.allclose(fit.beta_left, fit.beta_right, rtol=0.02)


def test_asymmetric_samples_have_unequal_scales_and_a_mean_of_their_sign():
    rng = np.random.default_rng(1)
    x = rng.normal(size=100_000)
    skewed = np.where(x > 0, 3 * x, x).astype(np.float32)[None]
    fit = fit_aggd(torch.from_numpy(skewed))
    assert float(fit.beta_right[0]) == pytest.approx(3 * float(fit.beta_left[0]), rel=0.05)
    assert float(fit.mean[0]) > 0


def test_one_signed_sample_has_shape_0_2_and_a_nan_scale():
    fit = fit_aggd(torch.tensor([[0.5, 1.0, 2.0, 0.0]]))
    assert fit.alpha.tolist() == pytest.approx([0.2]) and math.isnan(float(fit.beta_left[0]))
    assert math.isfinite(float(fit.beta_right[0]))
