"""SemanticAwareEnhancer: shapes, prior use, SEM skipping, gradients, layout binding (tiny random-init configs)."""
from __future__ import annotations

import pytest
import torch

from llie.errors import ConfigError
from llie.interfaces import PriorFeatures
from llie.registry import REGISTRIES, build
from llie.plugins.deepspg.sem import SemanticAwareEmbedding

STRIDES, CHANNELS, CLASSES = (4, 8, 16, 32), (8, 16, 32, 64), 5
TINY = dict(base_channels=8, levels=2, blocks_per_level=1, bottleneck_blocks=1, sem_scales=[1, 2, 4],
            ffn_expansion=1.5)
LAYOUT = dict(prior_strides=STRIDES, prior_channels=CHANNELS, prior_num_classes=CLASSES)


def fake_prior(seed: int, batch: int = 2, h: int = 32, w: int = 48, logits: bool = True) -> PriorFeatures:
    g = torch.Generator().manual_seed(seed)
    levels = [(s, torch.randn(batch, c, -(-h // s), -(-w // s), generator=g)) for s, c in zip(STRIDES, CHANNELS)]
    return PriorFeatures(levels, torch.randn(batch, CLASSES, h, w, generator=g) if logits else None, 1)


def tiny(**overrides):
    torch.manual_seed(0)
    return build("enhancers", {"type": "SemanticAwareEnhancer", **TINY, **LAYOUT, **overrides}).eval()


def sem_calls(model, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = SemanticAwareEmbedding.forward

    def counting(self, features, prior):
        calls.append(features.shape[-1])
        return original(self, features, prior)

    monkeypatch.setattr(SemanticAwareEmbedding, "forward", counting)
    return calls


def test_registered():
    assert "SemanticAwareEnhancer" in REGISTRIES["enhancers"].module_dict


@pytest.mark.parametrize("with_prior", [True, False])
def test_shape_and_finite(with_prior):
    model = tiny()
    x = torch.rand(2, 3, 32, 48)
    assert 32 % model.pad_multiple == 0 and 48 % model.pad_multiple == 0
    with torch.no_grad():
        y = model(x, fake_prior(1) if with_prior else None)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_pad_multiple_follows_levels():
    assert tiny().pad_multiple == 4
    assert tiny(levels=3, blocks_per_level=[1, 0, 1], sem_scales=[8]).pad_multiple == 8


def test_prior_changes_output():
    model, x = tiny(), torch.rand(2, 3, 32, 48)
    with torch.no_grad():
        a, b, none = model(x, fake_prior(1)), model(x, fake_prior(2)), model(x, None)
    assert (a - b).abs().max() > 1e-4
    assert (a - none).abs().max() > 1e-4


def test_sems_skipped_without_prior(monkeypatch):
    model, x = tiny(), torch.rand(2, 3, 32, 48)
    calls = sem_calls(model, monkeypatch)
    with torch.no_grad():
        model(x, None)
        model(x, PriorFeatures())
        assert calls == []
        model(x, fake_prior(1))
    assert sorted(calls) == [12, 24, 48]  # one SEM per scale 1/4, 1/2, 1 (widths of the feature maps)


def test_use_prior_false_ignores_prior(monkeypatch):
    model, x = tiny(use_prior=False), torch.rand(2, 3, 32, 48)
    assert not model.uses_prior and len(model.sems) == 0
    with torch.no_grad():
        assert torch.equal(model(x, fake_prior(1)), model(x, fake_prior(2)))


def test_gradients_reach_every_sem_parameter():
    model = tiny(use_logits=True).train()
    x = torch.rand(2, 3, 32, 48)
    model(x, fake_prior(3)).square().mean().backward()
    sem_params = dict(model.sems.named_parameters())
    assert sem_params
    missing = [n for n, p in sem_params.items() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_temperature_is_a_learnable_parameter_per_head():
    model = tiny(heads=[1, 2, 4])
    temps = {n: p for n, p in model.sems.named_parameters() if n.endswith("temperature")}
    assert sorted(t.shape[0] for t in temps.values()) == [1, 2, 4]
    assert all(t.requires_grad for t in temps.values())


def test_bind_prior_fills_layout_like_constructor():
    by_ctor = tiny()
    torch.manual_seed(0)
    by_bind = build("enhancers", {"type": "SemanticAwareEnhancer", **TINY}).eval()
    assert len(by_bind.sems) == 0
    by_bind.bind_prior(STRIDES, CHANNELS, CLASSES)
    assert by_bind.routes == by_ctor.routes == {1: "logits", 2: 4, 4: 8}  # the default: SKF's routing
    shapes = lambda m: {n: p.shape for n, p in m.named_parameters()}  # noqa: E731
    assert shapes(by_bind) == shapes(by_ctor)
    with torch.no_grad():
        y = by_bind(torch.rand(2, 3, 32, 48), fake_prior(1))
    assert torch.isfinite(y).all()


def test_constructor_layout_wins_and_bind_fills_the_rest():
    model = tiny(prior_num_classes=None)
    assert model.routes[1] == 4  # no classes known yet: no logits route
    model.bind_prior((4, 8), (100, 200), CLASSES)  # strides/channels given by the constructor win
    assert model.layout.strides == STRIDES and model.layout.channels == CHANNELS
    assert model.routes == {1: "logits", 2: 4, 4: 8}  # num_classes came from bind_prior
    assert model.sems["1"].prior_proj.in_channels == CLASSES


def test_prior_without_layout_is_a_config_error():
    model = build("enhancers", {"type": "SemanticAwareEnhancer", **TINY})
    with pytest.raises(ConfigError, match="layout"):
        model(torch.rand(1, 3, 32, 48), fake_prior(1, batch=1))


def test_missing_prior_level_is_a_config_error():
    model = tiny(prior_level_for_scale={1: 4, 2: 8, 4: 32})
    prior = fake_prior(1)
    prior.levels = prior.levels[:2]
    with pytest.raises(ConfigError, match="stride|32"):
        model(torch.rand(2, 3, 32, 48), prior)


@pytest.mark.parametrize("overrides", [
    dict(block_type="conv"),
    dict(sem_position="encoder"),
    dict(attention_scaling="sqrt_c", share_norm=False),
    dict(prior_level_for_scale="closest", use_logits=True),
    dict(blocks_per_level=[0, 2], bottleneck_blocks=0, sem_scales=[2]),
])
def test_variants_run(overrides):
    model = tiny(**overrides)
    with torch.no_grad():
        y = model(torch.rand(2, 3, 32, 48), fake_prior(4))
    assert y.shape == (2, 3, 32, 48) and torch.isfinite(y).all()


@pytest.mark.parametrize("bad", [dict(block_type="swin"), dict(sem_scales=[3]), dict(sem_scales=[8]),
                                 dict(sem_position="middle"), dict(heads=[1, 2]), dict(heads=3),
                                 dict(prior_channels=None), dict(attention_scaling="none")])
def test_bad_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        tiny(**bad)
