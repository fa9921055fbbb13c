"""The synthetic-to-real consistency loss on hand-made models: zero for an exact inverse of the darkening, not for
the identity, gradients only through the second enhancement, and the torch darkening it uses."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from llie.data import darken, darken_batch
from llie.errors import ConfigError
from llie.interfaces import LossContext
from llie.plugins.losses import SyntheticToRealConsistencyLoss

#: a fixed, noise-free, cast-free darkening: D(y) = 0.25 · y²
FIXED = {"gamma_range": 2.0, "gain_range": 0.25, "shot_noise": 0.0, "read_noise": 0.0, "color_cast": 0.0}


def enhanced(seed=0):
    return torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(seed)) * 0.8 + 0.1


def test_zero_when_the_model_inverts_the_darkening_exactly():
    loss = SyntheticToRealConsistencyLoss(weight=1.0, kind="l1", darken_options=FIXED)
    inverse = lambda x: torch.sqrt(x / 0.25)  # noqa: E731  f = D⁻¹
    y = enhanced()
    assert float(loss(y, None, LossContext(low=y * 0.1, enhance=inverse))) < 1e-6


def test_the_identity_is_not_a_minimiser():
    loss = SyntheticToRealConsistencyLoss(weight=2.0, kind="l1", darken_options=FIXED)
    y = enhanced()
    value = float(loss(y, None, LossContext(low=y * 0.1, enhance=lambda x: x)))
    assert value == pytest.approx(2.0 * float((0.25 * y ** 2 - y).abs().mean()), rel=1e-5) and value > 0.5


def test_the_target_is_the_clamped_detached_prediction():
    loss = SyntheticToRealConsistencyLoss(weight=1.0, kind="l2", darken_options=FIXED)
    y = enhanced() * 1.5 - 0.2  # out of range: the target is clamped like an output image
    value = float(loss(y, None, LossContext(low=y, enhance=lambda x: torch.zeros_like(x))))
    assert value == pytest.approx(float(y.clamp(0, 1).pow(2).mean()), rel=1e-5)


def test_gradients_flow_only_through_the_second_enhancement():
    torch.manual_seed(0)
    net = nn.Conv2d(3, 3, 3, padding=1)
    low = torch.rand(2, 3, 16, 16) * 0.2
    first = net(low)  # the model's enhancement of the batch: the loss's `pred`
    loss = SyntheticToRealConsistencyLoss(weight=1.0)
    first.retain_grad()
    loss(first, None, LossContext(low=low, enhance=net)).backward()
    assert first.grad is None or torch.count_nonzero(first.grad) == 0  # the target is detached
    assert net.weight.grad is not None and net.weight.grad.abs().sum() > 0  # f(x') is trained


def test_needs_the_models_enhancement_and_no_target():
    assert SyntheticToRealConsistencyLoss.needs_target is False
    with pytest.raises(ConfigError, match="LossContext.enhance"):
        SyntheticToRealConsistencyLoss()(torch.rand(1, 3, 8, 8), None, LossContext(low=torch.rand(1, 3, 8, 8)))
    with pytest.raises(ConfigError, match="unknown darken option 'gama_range'"):
        SyntheticToRealConsistencyLoss(darken_options={"gama_range": 2.0})


def test_torch_darkening_is_the_numpy_one_with_fixed_parameters():
    y = enhanced()
    fixed = {**FIXED, "gamma_range": 1.7, "gain_range": 0.2}
    got = darken_batch(y, torch.Generator().manual_seed(0), **fixed)
    want = np.stack([darken(img.permute(1, 2, 0).numpy(), np.random.default_rng(0), **fixed) for img in y])
    assert np.allclose(got.permute(0, 2, 3, 1).numpy(), want, atol=1e-6)


def test_torch_darkening_draws_each_image_its_own_parameters_in_the_ranges():
    y = torch.full((64, 3, 8, 8), 0.5)
    low = darken_batch(y, torch.Generator().manual_seed(1), shot_noise=0.0, read_noise=0.0, color_cast=0.0)
    levels = low[:, 0, 0, 0]
    assert levels.unique().numel() == 64  # one draw per image
    lowest, highest = 0.05 * 0.5 ** 3.0, 0.3 * 0.5 ** 1.5
    assert float(levels.min()) >= lowest - 1e-7 and float(levels.max()) <= highest + 1e-7
    same = darken_batch(y, torch.Generator().manual_seed(1), shot_noise=0.0, read_noise=0.0, color_cast=0.0)
    assert torch.equal(low, same)
    noisy = darken_batch(y, torch.Generator().manual_seed(1), gamma_range=1.0, gain_range=0.5, shot_noise=0.0,
                         read_noise=0.01, color_cast=0.0)
    assert 0.008 < float((noisy - 0.25).std()) < 0.012


NOISELESS = {"shot_noise": 0.0, "read_noise": 0.0}


def test_input_mode_is_zero_for_a_model_invariant_to_exposure_and_cast():
    """f = per-channel exposure normalisation does not care about the input's gain or cast: nothing to learn."""
    loss = SyntheticToRealConsistencyLoss(weight=1.0, kind="l1", degrade="input", darken_options=NOISELESS)
    normalise = lambda x: 0.5 * x / x.mean(dim=(2, 3), keepdim=True)  # noqa: E731
    low = enhanced() * 0.1
    assert float(loss(normalise(low), None, LossContext(low=low, enhance=normalise))) < 1e-6


def test_input_mode_degrades_the_real_input_both_ways_and_not_the_enhancement():
    seen = []
    loss = SyntheticToRealConsistencyLoss(weight=1.0, degrade="input", darken_options={**NOISELESS, "color_cast": 0.0})
    low = enhanced() * 0.1
    for _ in range(20):
        loss(torch.ones_like(low), None, LossContext(low=low, enhance=lambda x: seen.append(x) or x))
    gains = torch.stack([(x / low).mean(dim=(1, 2, 3)) for x in seen])  # one gain per image and call
    assert float(gains.min()) >= 0.6 - 1e-6 and float(gains.max()) <= 1.6 + 1e-6
    assert float(gains.min()) < 1.0 < float(gains.max())
    for x, gain in zip(seen, gains):
        assert torch.allclose(x, low * gain.view(-1, 1, 1, 1), atol=1e-6)  # the input's, not the enhancement's
    identity = float(SyntheticToRealConsistencyLoss(weight=1.0, degrade="input")(
        low, None, LossContext(low=low, enhance=lambda x: x)))
    assert identity > 0  # the identity is not invariant to exposure


def test_unknown_degrade_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="degrade 'output' is not one of enhanced, input"):
        SyntheticToRealConsistencyLoss(degrade="output")
