"""Training-free baselines: gamma correction and luminance histogram equalisation (global and CLAHE)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data, exposure

from llie.errors import ConfigError
from llie.registry import build
from llie.plugins.baselines.color import rgb_to_ycbcr, ycbcr_to_rgb
from llie.plugins.baselines.histogram import equalize_clahe, equalize_global


def low_contrast_colour_image(seed: int = 0, h: int = 64, w: int = 96) -> torch.Tensor:
    """A smooth, dark, colourful scene squeezed into a narrow brightness range."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, h // 8, w // 8, generator=g)
    smooth = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    return 0.08 + 0.12 * smooth


def luminance(x: torch.Tensor) -> torch.Tensor:
    return rgb_to_ycbcr(x)[:, 0]


@pytest.mark.parametrize("name", ["GammaCorrection", "HistogramEqualization"])
def test_training_free_and_parameterless(name):
    model = build("enhancers", {"type": name})
    assert not model.trainable and not model.uses_prior and model.pad_multiple == 1
    assert sum(p.numel() for p in model.parameters()) == 0


def test_gamma_brightens_a_dark_image():
    x = low_contrast_colour_image()
    y = build("enhancers", {"type": "GammaCorrection", "gamma": 0.45})(x)
    assert y.mean() > x.mean() + 0.2 and (y >= x).all()
    torch.testing.assert_close(y, x.pow(0.45))


def test_auto_gamma_hits_the_target_mean_per_image():
    x = torch.cat([low_contrast_colour_image(0), 0.5 * low_contrast_colour_image(1)])
    model = build("enhancers", {"type": "GammaCorrection", "auto": True, "target_mean": 0.45})
    y = model(x)
    torch.testing.assert_close(y.mean(dim=(1, 2, 3)), torch.full((2,), 0.45), atol=1e-3, rtol=0)
    gammas = model.gammas(x).flatten()
    assert gammas[1] < gammas[0] < 1  # the darker image needs the stronger correction


def test_ycbcr_round_trip():
    x = torch.rand(2, 3, 5, 7)
    torch.testing.assert_close(ycbcr_to_rgb(rgb_to_ycbcr(x)), x, atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", ["clahe", "global"])
def test_equalisation_raises_contrast_and_keeps_hue(method):
    x = low_contrast_colour_image()
    y = build("enhancers", {"type": "HistogramEqualization", "method": method})(x)
    assert y.shape == x.shape and torch.isfinite(y).all() and y.min() >= 0 and y.max() <= 1
    assert luminance(y).std() > 2 * luminance(x).std()
    # hue = angle in the CbCr plane; chroma is carried over unchanged except where RGB clips
    cx, cy = rgb_to_ycbcr(x)[:, 1:], rgb_to_ycbcr(y)[:, 1:]
    angle = lambda c: torch.atan2(c[:, 1], c[:, 0])  # noqa: E731
    diff = torch.remainder(angle(cy) - angle(cx) + torch.pi, 2 * torch.pi) - torch.pi
    coloured = cx.norm(dim=1) > 0.02
    assert coloured.float().mean() > 0.3
    assert diff[coloured].abs().mean() < 0.1


def test_global_equalisation_agrees_with_skimage():
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(0.3, 0.05, (40, 60)), 0, 1).astype(np.float32)
    ours = equalize_global(torch.from_numpy(img)[None, None])[0, 0].numpy()
    ref = exposure.equalize_hist(img)
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.99
    assert np.abs(ours - ref).mean() < 0.02


def test_clahe_agrees_with_skimage():
    """Same tiles and clip convention as skimage; only the redistribution of the clipped excess differs."""
    img = exposure.rescale_intensity(data.camera()[::2, ::2].astype(np.float32) / 255, out_range=(0.0, 1.0))
    ours = equalize_clahe(torch.from_numpy(img)[None, None], (8, 8), 0.01)[0, 0].numpy()
    ref = exposure.equalize_adapthist(img, clip_limit=0.01)
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.99
    assert np.abs(ours - ref).mean() < 0.05


def test_clahe_handles_sizes_that_do_not_tile_evenly():
    y = torch.rand(2, 1, 37, 53)
    out = equalize_clahe(y, (8, 8))
    assert out.shape == y.shape and out.min() >= 0 and out.max() <= 1
    assert equalize_clahe(torch.rand(1, 1, 5, 7), (8, 8)).shape == (1, 1, 5, 7)


@pytest.mark.parametrize("bad", [dict(method="ahe"), dict(tile_grid=0), dict(clip_limit=0), dict(bins=1)])
def test_bad_histogram_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        build("enhancers", {"type": "HistogramEqualization", **bad})


def test_bad_gamma_config_is_a_config_error():
    with pytest.raises(ConfigError):
        build("enhancers", {"type": "GammaCorrection", "gamma": 0})
