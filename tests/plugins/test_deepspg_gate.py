"""Trust gates on the SEMs: range, the ungated path kept exactly, gradients, and dynamic gates reading their inputs."""
from __future__ import annotations

import math

import pytest
import torch

from llie.errors import ConfigError
from llie.interfaces import PriorFeatures
from llie.plugins.deepspg.gate import STATISTICS, DynamicGate, StaticGate, trust_statistics
from llie.plugins.deepspg.sem import SemanticAwareEmbedding
from llie.registry import build

STRIDES, CHANNELS, CLASSES = (4, 8, 16, 32), (8, 16, 32, 64), 5
TINY = dict(base_channels=8, levels=2, blocks_per_level=1, bottleneck_blocks=1, sem_scales=[1, 2, 4],
            ffn_expansion=1.5, prior_strides=STRIDES, prior_channels=CHANNELS, prior_num_classes=CLASSES)
H, W = 32, 48


def fake_prior(seed: int, batch: int = 2, logit_scale: float = 1.0) -> PriorFeatures:
    g = torch.Generator().manual_seed(seed)
    levels = [(s, torch.randn(batch, c, -(-H // s), -(-W // s), generator=g)) for s, c in zip(STRIDES, CHANNELS)]
    return PriorFeatures(levels, logit_scale * torch.randn(batch, CLASSES, H, W, generator=g), 1)


def enhancer(gate: str = "none", seed: int = 0, **overrides):
    torch.manual_seed(seed)
    return build("enhancers", {"type": "SemanticAwareEnhancer", **TINY, "gate": gate, **overrides}).eval()


def ungated_sem_forward(self, features, prior):
    """The SEM exactly as it was before gates existed (the reference for gate='none')."""
    features = features + self.attend(features, prior)
    return features + self.ffn(self.norm_ffn(features))


def bright_clean_confident() -> tuple[torch.Tensor, PriorFeatures]:
    ramp = torch.linspace(0.5, 0.8, W).expand(2, 3, H, W).clone()  # smooth: no noise
    return ramp, fake_prior(1, logit_scale=30.0)


def dark_noisy_unsure() -> tuple[torch.Tensor, PriorFeatures]:
    g = torch.Generator().manual_seed(2)
    low = 0.02 + 0.02 * torch.rand(2, 3, H, W, generator=g) + 0.05 * torch.randn(2, 1, H, W, generator=g)
    return low.clamp(0, 1), fake_prior(1, logit_scale=0.01)  # same features, near-uniform logits


# ---- 'none' is the ungated SEM ---------------------------------------------------------------------------------
def test_gate_none_reproduces_the_ungated_sem_bit_for_bit(monkeypatch):
    x, prior = torch.rand(2, 3, H, W), fake_prior(3)
    gated = enhancer("none")
    with torch.no_grad():
        out = gated(x, prior, low=x)
    reference = enhancer("none")
    assert reference.state_dict().keys() == gated.state_dict().keys()
    monkeypatch.setattr(SemanticAwareEmbedding, "forward", ungated_sem_forward)
    with torch.no_grad():
        expected = reference(x, prior)
    assert torch.equal(out, expected)
    assert gated.diagnostics() == {}


def test_gated_enhancers_draw_the_same_weights_as_the_ungated_one():
    """Gate parameters are created after the others, so a seed gives the same network apart from the gate."""
    plain = enhancer("none").state_dict()
    for mode in ("static", "dynamic"):
        extra = {k: v for k, v in enhancer(mode).state_dict().items() if k not in plain}
        shared = {k: v for k, v in enhancer(mode).state_dict().items() if k in plain}
        assert shared.keys() == plain.keys() and all(torch.equal(shared[k], plain[k]) for k in plain)
        assert extra and all("gate" in k for k in extra)


def test_an_open_static_gate_equals_no_gate_and_a_closed_one_ignores_the_prior():
    """The gate multiplies only the cross-attention residual, the one path through which the prior enters."""
    x = torch.rand(2, 3, H, W)
    plain, gated = enhancer("none"), enhancer("static")
    with torch.no_grad():
        for sem in gated.sems.values():
            sem.static_gate.theta.fill_(math.inf)  # sigmoid = 1 exactly
        assert torch.equal(gated(x, fake_prior(3)), plain(x, fake_prior(3)))
        for sem in gated.sems.values():
            sem.static_gate.theta.fill_(-math.inf)  # sigmoid = 0 exactly
        assert torch.equal(gated(x, fake_prior(3)), gated(x, fake_prior(4)))
        assert not torch.equal(plain(x, fake_prior(3)), plain(x, fake_prior(4)))


# ---- range and gradients ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_gates_lie_in_the_open_unit_interval(mode):
    model = enhancer(mode)
    for low, prior in (bright_clean_confident(), dark_noisy_unsure(), (torch.zeros(2, 3, H, W), fake_prior(5))):
        with torch.no_grad():
            model(low, prior, low=low)
        gates = {k: v for k, v in model.diagnostics().items() if k.startswith("gate_s")}
        assert sorted(gates) == ["gate_s1", "gate_s2", "gate_s4"]
        for values in gates.values():
            assert values.shape == (2,) and bool(((values > 0) & (values < 1)).all())
            assert bool((values > 0.75).all())  # initialised open


def test_dynamic_gates_stay_in_range_with_large_weights():
    gate = DynamicGate(3)
    with torch.no_grad():
        for p in gate.parameters():
            p.normal_(0, 5)
    stats = {"input_brightness": torch.tensor([0.0, 1.0, 0.01]), "input_noise": torch.tensor([0.0, 0.3, 0.05]),
             "prior_confidence": torch.tensor([0.05, 1.0, 0.5])}
    values = gate(stats)
    assert values.shape == (3, 3) and bool(((values >= 0) & (values <= 1)).all())


def test_static_gate_receives_a_gradient():
    model = enhancer("static").train()
    x = torch.rand(2, 3, H, W)
    model(x, fake_prior(3), low=x).square().mean().backward()
    for scale, sem in model.sems.items():
        grad = sem.static_gate.theta.grad
        assert grad is not None and torch.isfinite(grad) and grad.abs() > 0, scale


def test_dynamic_gate_network_receives_a_gradient_and_the_statistics_none():
    model = enhancer("dynamic", use_logits=False).train()  # logits reach the output only through the gate's statistics
    low = torch.rand(2, 3, H, W, requires_grad=True)
    prior = fake_prior(3)
    prior.logits.requires_grad_(True)
    stats = trust_statistics(low, prior)
    assert not any(v.requires_grad for v in stats.values())
    model(low.detach(), prior, low=low).square().mean().backward()
    for name, p in model.trust_gate.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert prior.logits.grad is None  # the gate cannot teach the prior to look confident


# ---- dynamic gates read their statistics ------------------------------------------------------------------------
def test_dynamic_gate_responds_to_a_dark_noisy_input_with_an_unsure_prior():
    model = enhancer("dynamic")
    seen = {}
    for name, (low, prior) in (("good", bright_clean_confident()), ("bad", dark_noisy_unsure())):
        with torch.no_grad():
            model(low, prior, low=low)
        seen[name] = model.diagnostics()
    good, bad = seen["good"], seen["bad"]
    assert bool((bad["input_brightness"] < good["input_brightness"] / 5).all())
    assert bool((bad["input_noise"] > good["input_noise"] * 5).all())
    assert bool((bad["prior_confidence"] < good["prior_confidence"] - 0.3).all())
    for key in ("gate_s1", "gate_s2", "gate_s4"):  # a gate ignoring its statistics gives exactly equal values;
        assert (bad[key] - good[key]).abs().min() > 1e-5, key  # at init the dependence is deliberately small


@pytest.mark.parametrize("statistic", STATISTICS)
def test_dynamic_gate_depends_on_each_statistic(statistic):
    torch.manual_seed(0)
    gate = DynamicGate(2)
    base = {"input_brightness": torch.tensor([0.3]), "input_noise": torch.tensor([0.01]),
            "prior_confidence": torch.tensor([0.9])}
    changed = {**base, statistic: base[statistic] / 10}
    with torch.no_grad():
        assert (gate(base) - gate(changed)).abs().max() > 1e-3


def test_the_model_gives_the_gate_its_low_input_not_the_reflectance():
    from llie.engine.model import SemanticPriorModel
    from llie.metrics.image_stats import mean_luminance

    torch.manual_seed(0)
    model = SemanticPriorModel(
        enhancer={"type": "SemanticAwareEnhancer", "base_channels": 8, "levels": 1, "block_type": "conv",
                  "sem_scales": [1], "gate": "dynamic"},
        decomposer={"type": "RetinexNetDecomposer", "channels": 8, "layers": 1},
        image_prior={"type": "HRNetPrior", "variant": "tiny", "num_classes": 4, "pretrained": None}).eval()
    low = 0.1 * torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        samples = model(low, {"gt": torch.rand(2, 3, 16, 16), "name": ["a", "b"]}, mode="predict")
    extras = [s["extras"] for s in samples]
    assert set(extras[0]) == {"gate_s1", *STATISTICS}
    for i, row in enumerate(extras):
        assert row["input_brightness"] == pytest.approx(mean_luminance(low[i:i + 1]).item(), rel=1e-5)
        assert 0 < row["gate_s1"] < 1


def test_ungated_models_report_no_extras():
    from llie.engine.model import SemanticPriorModel

    model = SemanticPriorModel(enhancer={"type": "UNet", "base_channels": 4, "depth": 1}).eval()
    with torch.no_grad():
        samples = model(torch.rand(1, 3, 8, 8), {"gt": torch.rand(1, 3, 8, 8), "name": ["a"]}, mode="predict")
    assert "extras" not in samples[0]


def test_bad_gate_options_are_config_errors():
    with pytest.raises(ConfigError, match="gate 'sometimes' is unknown"):
        enhancer("sometimes")
    with pytest.raises(ConfigError, match="gate_init"):
        enhancer("static", gate_init=1.0)
    with pytest.raises(ValueError, match="one gate value per image"):
        SemanticAwareEmbedding(8, 4, gate="dynamic")(torch.rand(2, 8, 4, 4), torch.rand(2, 4, 4, 4))
    assert StaticGate(0.25)(3).tolist() == pytest.approx([0.25] * 3)
