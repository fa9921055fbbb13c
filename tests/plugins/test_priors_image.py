"""Every image prior of the mmseg_priors and sam_prior plugins, built from the registry in its tiny variant."""
from __future__ import annotations

import logging
import math

import pytest
import torch

from llie.errors import CheckpointError, ConfigError
from llie.plugin_door import ensure_plugins_loaded, provider_of
from llie.registry import REGISTRIES, build

PLUGINS = {"mmseg_priors", "sam_prior"}
TINY = {
    "HRNetPrior": {"variant": "tiny", "num_classes": 5},
    "SegFormerPrior": {"variant": "tiny", "num_classes": 5},
    "SAMPrior": {"variant": "tiny"},
}
H, W = 64, 96


def _ours() -> list[str]:
    ensure_plugins_loaded()
    return sorted(n for n in REGISTRIES["image_priors"].module_dict if provider_of("image_priors", n) in PLUGINS)


def test_every_registered_prior_has_a_tiny_config():
    assert set(_ours()) == set(TINY)


def make(name: str, **overrides):
    torch.manual_seed(0)
    return build("image_priors", {"type": name, **TINY[name], **overrides})


@pytest.fixture(scope="module", params=sorted(TINY))
def prior(request):
    return make(request.param)


def save_checkpoint(prior, path, seed: int) -> dict[str, torch.Tensor]:
    """A checkpoint in the prior's official layout, from a differently seeded random model."""
    torch.manual_seed(seed)
    donor = make(type(prior).__name__)
    for p in donor.parameters():
        p.data.normal_()
    state = donor.state_dict()
    if type(prior).__name__ == "SAMPrior":  # official SAM files hold the whole model
        payload = {**state, "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix": torch.zeros(2, 128),
                   "mask_decoder.iou_token.weight": torch.zeros(1, 256)}
    else:  # mmseg files: meta + state_dict
        payload = {"meta": {"CLASSES": ("a", "b"), "mmseg_version": "1.2.2"}, "state_dict": state}
    torch.save(payload, path)
    return state


def test_layout_matches_declared_strides_and_channels(prior):
    x = torch.rand(2, 3, H, W)
    with torch.no_grad():
        out = prior(x)
    assert len(prior.strides) == len(prior.channels) == len(out.levels) >= 1
    for (stride, feat), declared_stride, channels in zip(out.levels, prior.strides, prior.channels):
        assert stride == declared_stride
        assert feat.shape == (2, channels, math.ceil(H / stride), math.ceil(W / stride))
        assert torch.isfinite(feat).all()
    if prior.num_classes is not None:
        assert out.logits is not None
        s = out.logits_stride
        assert out.logits.shape == (2, prior.num_classes, math.ceil(H / s), math.ceil(W / s))
    else:
        assert out.logits is None


def test_frozen_and_stays_in_eval(prior):
    assert prior.frozen and not any(p.requires_grad for p in prior.parameters())
    prior.train()
    assert not prior.training and not any(m.training for m in prior.modules())


def test_gradient_reaches_input_not_weights(prior):
    x = torch.rand(1, 3, H, W, requires_grad=True)
    out = prior(x)
    total = sum(f.square().mean() for _, f in out.levels)
    if out.logits is not None:
        total = total + out.logits.square().mean()
    total.backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in prior.parameters())


def test_random_init_is_announced(caplog):
    with caplog.at_level(logging.WARNING):
        prior = make("HRNetPrior")
    assert "RANDOM" in caplog.text and "HRNetPrior.pretrained" in caplog.text
    assert prior.identity().endswith("@random")


def test_checkpoint_round_trip_and_identity(prior, tmp_path):
    name = type(prior).__name__
    path_a, path_b = tmp_path / "a.pth", tmp_path / "b.pth"
    saved = save_checkpoint(prior, path_a, seed=1)
    save_checkpoint(prior, path_b, seed=2)
    loaded = make(name, pretrained=str(path_a))
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in saved.items())
    assert loaded.frozen and not loaded.training
    x = torch.rand(1, 3, H, W)
    with torch.no_grad():
        assert not torch.allclose(loaded(x).levels[0][1], prior(x).levels[0][1])
    other = make(name, pretrained=str(path_b))
    ids = {prior.identity(), loaded.identity(), other.identity()}
    assert len(ids) == 3 and all(i.startswith(f"{name}(") for i in ids)
    assert "variant=\"tiny\"" in loaded.identity()


def test_missing_checkpoint_is_named(prior, tmp_path):
    name = type(prior).__name__
    path = tmp_path / "absent.pth"
    with pytest.raises(CheckpointError) as err:
        make(name, pretrained=str(path))
    assert str(path) in str(err.value) and f"{name}.pretrained" in str(err.value)


def test_checkpoint_of_another_variant_is_rejected(tmp_path):
    path = tmp_path / "hr.pth"
    save_checkpoint(make("HRNetPrior"), path, seed=1)
    with pytest.raises(CheckpointError, match="does not fit"):
        make("HRNetPrior", num_classes=7, pretrained=str(path))


@pytest.mark.parametrize("name", sorted(TINY))
def test_unknown_variant_names_the_choices(name):
    with pytest.raises(ConfigError, match="variant"):
        make(name, variant="nope")


def test_bad_normalisation_is_a_config_error():
    with pytest.raises(ConfigError, match="normalize"):
        make("SegFormerPrior", normalize="zscore")


def test_normalisation_changes_the_output():
    x = torch.rand(1, 3, H, W)
    with torch.no_grad():
        plain = make("HRNetPrior", normalize="none")(x).levels[0][1]
        imagenet = make("HRNetPrior", normalize="imagenet")(x).levels[0][1]
    assert not torch.allclose(plain, imagenet)


@pytest.mark.parametrize("name, cfg, channels", [
    ("HRNetPrior", {"variant": "w48"}, (48, 96, 192, 384)),
    ("SegFormerPrior", {"variant": "b0"}, (32, 64, 160, 256)),
])
def test_full_size_variants_follow_the_published_layout(name, cfg, channels):
    prior = build("image_priors", {"type": name, **cfg})
    assert prior.channels == channels and prior.strides == (4, 8, 16, 32)
    with torch.no_grad():
        out = prior(torch.rand(1, 3, H, W))
    assert [f.shape[1] for _, f in out.levels] == list(channels)
    assert out.logits.shape[1] == prior.num_classes == {"HRNetPrior": 59, "SegFormerPrior": 150}[name]


def test_unfrozen_prior_trains():
    prior = make("SegFormerPrior", frozen=False)
    assert not prior.frozen
    prior.train()
    assert prior.training
    prior(torch.rand(1, 3, H, W)).logits.mean().backward()
    assert any(p.grad is not None for p in prior.parameters())
