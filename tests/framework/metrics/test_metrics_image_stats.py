"""Input statistics: mean luma and Immerkær's noise estimate (robust median form and the original mean form)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from llie.metrics.image_stats import LUMA_WEIGHTS, mean_luminance, noise_sigma


def smooth_image(h: int = 128, w: int = 160) -> torch.Tensor:
    """A ramp plus a slow sinusoid in [0.3, 0.7]: the Immerkær kernel leaves almost nothing of it."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    return (0.3 + 0.3 * xx + 0.1 * torch.sin(3 * yy)).expand(1, 3, h, w).clone()


def gray_noise(image: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    """The same Gaussian noise on all three channels, so the luma carries noise of std ``sigma``."""
    g = torch.Generator().manual_seed(seed)
    return image + sigma * torch.randn(image[:, :1].shape, generator=g)


@pytest.mark.parametrize("robust", [True, False])
@pytest.mark.parametrize("sigma", [0.005, 0.02, 0.05, 0.1])
def test_noise_estimate_recovers_a_known_gaussian_sigma(sigma, robust):
    estimate = noise_sigma(gray_noise(smooth_image(), sigma, seed=int(sigma * 1000)), robust=robust)
    assert estimate.shape == (1,)
    assert estimate.item() == pytest.approx(sigma, rel=0.05)


def test_noise_estimate_is_zero_on_a_noise_free_smooth_image_and_on_tiny_images():
    assert noise_sigma(smooth_image()).item() < 1e-4
    assert noise_sigma(torch.rand(2, 3, 2, 5)).tolist() == [0.0, 0.0]


def test_independent_channel_noise_is_measured_on_the_luma():
    """Independent RGB noise of std σ leaves σ·‖luma weights‖ on the luma (≈ 0.668 σ)."""
    g = torch.Generator().manual_seed(3)
    image = smooth_image()
    noisy = image + 0.05 * torch.randn(image.shape, generator=g)
    expected = 0.05 * float(np.linalg.norm(LUMA_WEIGHTS))
    assert noise_sigma(noisy).item() == pytest.approx(expected, rel=0.05)


def test_the_median_form_is_less_fooled_by_texture_than_the_mean_form():
    from skimage import data

    camera = torch.from_numpy(data.camera().astype(np.float32) / 255)[None, None]
    for sigma in (0.01, 0.05):
        noisy = gray_noise(camera, sigma, seed=7)
        robust, plain = noise_sigma(noisy).item(), noise_sigma(noisy, robust=False).item()
        assert abs(robust - sigma) < abs(plain - sigma)
    assert noise_sigma(gray_noise(camera, 0.05, seed=8)).item() == pytest.approx(0.05, rel=0.15)


def test_a_batch_gives_each_image_its_own_value():
    images = torch.cat([gray_noise(smooth_image(), s, seed=i) for i, s in enumerate((0.01, 0.04))])
    batch = noise_sigma(images)
    singles = torch.cat([noise_sigma(images[i:i + 1]) for i in range(2)])
    torch.testing.assert_close(batch, singles)
    assert batch[1] > 3 * batch[0]


def test_mean_luminance_uses_rec601_weights_without_offset():
    colours = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.5, 0.5, 0.5]]).view(4, 3, 1, 1)
    values = mean_luminance(colours.expand(4, 3, 4, 6))
    torch.testing.assert_close(values, torch.tensor([0.299, 0.587, 0.114, 0.5]))
    assert mean_luminance(torch.full((1, 1, 3, 3), 0.25)).item() == pytest.approx(0.25)
    assert mean_luminance(torch.full((1, 3, 3, 3), 0.25, dtype=torch.bfloat16)).dtype == torch.float32
