"""Tests for plugins/retinex decomposers (and the identity decomposer of plugins/core)."""
from __future__ import annotations

import pytest
import torch

from llie import build
from llie.errors import CheckpointError, ConfigError
from llie.interfaces import Decomposer, Retinex
from llie.plugin_door import load_plugins
from llie.registry import DECOMPOSERS
from llie.plugins.retinex import MaxChannelDecomposer, RetinexNetDecomposer

torch.set_num_threads(1)
load_plugins()


def pair(seed: int = 0, h: int = 17, w: int = 23) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth-ish normal-light image and a dark, slightly noisy version of it (odd sizes on purpose)."""
    g = torch.Generator().manual_seed(seed)
    high = torch.nn.functional.avg_pool2d(torch.rand(2, 3, h, w, generator=g), 3, 1, 1, count_include_pad=False)
    low = (0.15 * high + 0.01 * torch.rand(2, 3, h, w, generator=g)).clamp(0, 1)
    return low, high


# --------------------------------------------------------------------------------------------------- registry
@pytest.mark.parametrize("name", sorted(DECOMPOSERS.module_dict))
def test_every_registered_decomposer_keeps_the_interface(name: str) -> None:
    low, high = pair()
    decomposer = build("decomposers", name)
    assert isinstance(decomposer, Decomposer) and isinstance(decomposer.trainable, bool)
    if decomposer.trainable:
        assert any(p.requires_grad for p in decomposer.parameters())
    out = decomposer(low)
    assert isinstance(out, Retinex)
    assert out.reflectance.shape == low.shape
    b, _, h, w = low.shape
    assert out.illumination.shape in {(b, 1, h, w), (b, 3, h, w)}
    assert torch.isfinite(out.reflectance).all()
    assert out.illumination.min() > 0 and out.illumination.max() <= 1
    assert out.recompose().shape == low.shape
    terms = decomposer.losses(low, out, high, decomposer(high))
    assert all(v.dim() == 0 and torch.isfinite(v) for v in terms.values())
    assert bool(terms) == decomposer.trainable


def test_identity_decomposer_passes_the_image_through() -> None:
    from llie.plugins.core.identity import IdentityDecomposer

    x = torch.rand(2, 3, 5, 7)
    out = IdentityDecomposer()(x)
    assert out.reflectance is x
    assert out.illumination.shape == (2, 1, 5, 7) and bool((out.illumination == 1).all())
    assert torch.equal(out.recompose(), x)
    assert IdentityDecomposer.trainable is False and IdentityDecomposer().losses(x, out) == {}


# --------------------------------------------------------------------------------------------------- max channel
def test_max_channel_recomposes_exactly_even_in_the_dark() -> None:
    low, _ = pair()
    low[0, :, :4] *= 1e-3  # darker than eps
    out = MaxChannelDecomposer()(low)
    assert torch.allclose(out.recompose(), low, atol=1e-6, rtol=0)
    assert out.reflectance.min() >= 0 and out.reflectance.max() <= 1
    bright = low.amax(1, keepdim=True) >= 1e-3
    assert torch.equal(out.illumination[bright], low.amax(1, keepdim=True)[bright])
    assert torch.allclose(out.reflectance.amax(1)[bright[:, 0]], torch.ones(()))  # max channel of R is 1


def step_image(noise: float = 0.05) -> torch.Tensor:
    """Gray image: 0.1 on the left, 0.9 on the right, plus noise."""
    g = torch.Generator().manual_seed(4)
    x = torch.full((1, 3, 32, 32), 0.1)
    x[..., 16:] = 0.9
    return (x + noise * torch.randn(1, 1, 32, 32, generator=g)).clamp(0, 1)


@pytest.mark.parametrize("smoothing", ["gaussian", "guided"])
def test_smoothing_removes_noise_and_keeps_range(smoothing: str) -> None:
    x = step_image()
    rough = MaxChannelDecomposer()(x).illumination
    smooth = MaxChannelDecomposer(smoothing=smoothing, radius=3)(x).illumination
    flat = (slice(None), slice(None), slice(4, 28), slice(2, 10))  # inside the dark half, away from the edge
    assert smooth[flat].std() < 0.5 * rough[flat].std()
    assert smooth.min() >= 1e-3 and smooth.max() <= 1


def test_guided_smoothing_keeps_the_edge_that_gaussian_blurs() -> None:
    x = step_image(noise=0.01)
    edge = x.amax(1, keepdim=True)
    guided = MaxChannelDecomposer(smoothing="guided", radius=3, guided_eps=1e-3)(x).illumination
    gaussian = MaxChannelDecomposer(smoothing="gaussian", radius=3)(x).illumination
    near = (slice(None), slice(None), slice(None), slice(13, 19))
    assert (guided - edge)[near].abs().mean() < 0.5 * (gaussian - edge)[near].abs().mean()


def test_max_channel_rejects_bad_config() -> None:
    with pytest.raises(ConfigError, match="smoothing 'bilateral'"):
        MaxChannelDecomposer(smoothing="bilateral")
    with pytest.raises(ConfigError, match="eps"):
        MaxChannelDecomposer(eps=0.0)


# --------------------------------------------------------------------------------------------------- RetinexNet
def small_net(**kwargs) -> RetinexNetDecomposer:
    torch.manual_seed(0)
    return RetinexNetDecomposer(channels=8, layers=2, **kwargs)


def test_retinexnet_outputs_are_in_range() -> None:
    low, _ = pair()
    out = small_net()(low)
    assert out.reflectance.shape == (2, 3, 17, 23) and out.illumination.shape == (2, 1, 17, 23)
    for t in (out.reflectance, out.illumination):
        assert t.min() > 0 and t.max() < 1


def test_retinexnet_losses_are_finite_and_fall_with_training() -> None:
    low, high = pair(h=16, w=16)
    net = small_net()
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)

    def total() -> torch.Tensor:
        terms = net.losses(low, net(low), high, net(high))
        assert set(terms) == {"recon", "recon_cross", "reflectance", "smooth"}
        assert all(torch.isfinite(v) for v in terms.values())
        return sum(terms.values())

    first = total().item()
    for _ in range(30):
        opt.zero_grad()
        loss = total()
        loss.backward()
        opt.step()
    assert total().item() < 0.7 * first


def test_retinexnet_loss_weights_and_low_only_terms() -> None:
    low, high = pair()
    net = small_net()
    base = net.losses(low, net(low), high)
    doubled = small_net(smooth_weight=0.2, cross_weight=0.0)
    terms = doubled.losses(low, doubled(low), high)
    assert terms["smooth"].item() == pytest.approx(2 * base["smooth"].item(), rel=1e-5)
    assert terms["recon_cross"].item() == 0.0
    assert set(net.losses(low, net(low))) == {"recon", "smooth"}


def test_illumination_smoothness_is_structure_aware() -> None:
    net = small_net()
    light = torch.full((1, 1, 16, 16), 0.2)
    light[..., 8:] = 0.8  # an illumination edge…
    image_with_edge = light.expand(1, 3, 16, 16).clone()
    flat_image = torch.full((1, 3, 16, 16), 0.5)
    # …costs little where the image has the same edge, and fully where the image is flat
    assert net.smoothness(light, image_with_edge) < 0.2 * net.smoothness(light, flat_image)
    assert net.smoothness(torch.full_like(light, 0.4), flat_image).item() == 0.0


def test_retinexnet_pretrained_round_trip_and_wrapped_checkpoints(tmp_path) -> None:
    low, _ = pair()
    source = small_net()
    bare = tmp_path / "bare.pth"
    torch.save(source.state_dict(), bare)
    wrapped = tmp_path / "model.pth"
    torch.save({"state_dict": {f"decomposer.{k}": v for k, v in source.state_dict().items()}}, wrapped)
    expected = source(low).reflectance
    for path in (bare, wrapped):
        torch.manual_seed(123)
        loaded = RetinexNetDecomposer(channels=8, layers=2, pretrained=str(path))
        assert torch.allclose(loaded(low).reflectance, expected)


def test_retinexnet_checkpoint_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="missing.pth.* does not exist"):
        RetinexNetDecomposer(pretrained=str(tmp_path / "missing.pth"))
    other = tmp_path / "other.pth"
    torch.save(small_net().state_dict(), other)
    with pytest.raises(CheckpointError, match="other.pth"):
        RetinexNetDecomposer(channels=16, layers=2, pretrained=str(other))
    with pytest.raises(CheckpointError, match="other.pth"):
        RetinexNetDecomposer(channels=8, layers=3, pretrained=str(other))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pth"):
        RetinexNetDecomposer(pretrained=str(junk))


def test_frozen_retinexnet_is_not_trainable_and_stays_in_eval(tmp_path) -> None:
    path = tmp_path / "w.pth"
    torch.save(small_net().state_dict(), path)
    net = RetinexNetDecomposer(channels=8, layers=2, pretrained=str(path), frozen=True)
    net.train()
    assert net.trainable is False and not net.training
    assert not any(p.requires_grad for p in net.parameters())
    assert small_net().trainable is True


def test_retinexnet_rejects_bad_shapes() -> None:
    with pytest.raises(ConfigError, match="kernel_size"):
        RetinexNetDecomposer(kernel_size=4)
