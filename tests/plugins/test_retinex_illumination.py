"""Tests for plugins/retinex illumination adjusters."""
from __future__ import annotations

import pytest
import torch

from llie import build
from llie.errors import ConfigError
from llie.interfaces import IlluminationAdjuster
from llie.plugin_door import load_plugins
from llie.registry import ILLUMINATION_ADJUSTERS
from llie.plugins.retinex import GammaIllumination, LearnedIllumination

torch.set_num_threads(1)
load_plugins()


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", sorted(ILLUMINATION_ADJUSTERS.module_dict))
def test_every_registered_adjuster_outputs_unit_interval(name: str, channels: int) -> None:
    g = torch.Generator().manual_seed(0)
    low = torch.rand(2, 3, 13, 19, generator=g) * 0.2
    light = torch.rand(2, channels, 13, 19, generator=g).clamp_min(1e-3)
    light[0, :, 0, 0] = 1.0
    adjuster = build("illumination_adjusters", name)
    assert isinstance(adjuster, IlluminationAdjuster)
    out = adjuster(light, low)
    assert out.shape[0] == 2 and out.shape[-2:] == (13, 19) and out.shape[1] in (1, channels)
    assert out.min() > 0 and out.max() <= 1


def test_gamma_lifts_dark_illumination_most() -> None:
    light = torch.tensor([0.01, 0.1, 0.5, 1.0]).view(1, 1, 1, 4)
    out = GammaIllumination(gamma=0.4)(light, torch.zeros(1, 3, 1, 4))
    assert torch.allclose(out, light.pow(0.4))
    gain = out / light
    assert bool((gain[..., :-1] > gain[..., 1:]).all()) and out[..., -1].item() == 1.0
    assert GammaIllumination()(torch.zeros(1, 1, 2, 2), torch.zeros(1, 3, 2, 2)).min() > 0
    with pytest.raises(ConfigError, match="gamma"):
        GammaIllumination(gamma=0.0)


def test_learned_illumination_trains_towards_a_target_and_stays_bounded() -> None:
    torch.manual_seed(0)
    net = LearnedIllumination(channels=8)
    light = torch.rand(1, 1, 16, 16) * 0.3
    low = light.expand(1, 3, 16, 16) * 0.5
    target = light.pow(0.4)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = (net(light, low) - target).abs().mean().item()
    for _ in range(50):
        opt.zero_grad()
        loss = (net(light, low) - target).abs().mean()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
    extreme = net(torch.full((1, 1, 5, 5), 1e-6), torch.full((1, 3, 5, 5), 50.0))
    assert extreme.min() > 0 and extreme.max() <= 1
