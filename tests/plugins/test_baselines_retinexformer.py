"""Retinexformer baseline: parameter count at the paper's defaults, structure of the one-stage Retinex path."""
from __future__ import annotations

import pytest
import torch

from llie.errors import ConfigError
from llie.registry import build
from llie.plugins.baselines.retinexformer import IlluminationGuidedAttention

PAPER_PARAMS = 1.61e6


def test_parameter_count_matches_the_paper():
    model = build("enhancers", {"type": "Retinexformer"})
    count = sum(p.numel() for p in model.parameters())
    print(f"Retinexformer(n_feat=40, stage=1, num_blocks=[1,2,2]) parameters: {count:,}")
    assert abs(count - PAPER_PARAMS) <= 0.15 * PAPER_PARAMS
    assert model.trainable and not model.uses_prior


def test_defaults_run_and_pad_multiple_is_two_to_the_downsamplings():
    model = build("enhancers", {"type": "Retinexformer"}).eval()
    assert model.pad_multiple == 4
    x = torch.rand(2, 3, 32, 48)
    with torch.no_grad():
        y = model(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert build("enhancers", {"type": "Retinexformer", "num_blocks": [1, 1, 1, 1]}).pad_multiple == 8


def test_multi_stage_runs_and_grows():
    one = build("enhancers", {"type": "Retinexformer", "n_feat": 8, "num_blocks": [1, 1]})
    two = build("enhancers", {"type": "Retinexformer", "n_feat": 8, "num_blocks": [1, 1], "stage": 2})
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(two) == 2 * n(one)
    with torch.no_grad():
        assert two(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)


def test_output_is_the_lit_up_image_plus_a_restoration_residual():
    torch.manual_seed(0)
    model = build("enhancers", {"type": "Retinexformer", "n_feat": 8, "num_blocks": [1, 1]}).eval()
    stage = model.stages[0]
    x = torch.rand(1, 3, 16, 24)
    with torch.no_grad():
        stage.denoiser.head.weight.zero_()  # no residual: the output is exactly the lit-up image
        _, light_up = stage.estimator(x)
        torch.testing.assert_close(model(x), x + x * light_up)


def test_attention_values_are_modulated_by_illumination():
    torch.manual_seed(0)
    attn = IlluminationGuidedAttention(dim=8, heads=2).eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        a, b = attn(x, torch.rand(1, 8, 6, 6)), attn(x, torch.rand(1, 8, 6, 6))
    assert (a - b).abs().max() > 1e-4


def test_gradients_flow_to_estimator_and_denoiser():
    model = build("enhancers", {"type": "Retinexformer", "n_feat": 8, "num_blocks": [1, 1]})
    model(torch.rand(1, 3, 16, 16)).mean().backward()
    stage = model.stages[0]
    assert stage.estimator.expand.weight.grad.abs().sum() > 0
    assert stage.denoiser.embed.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("bad", [dict(stage=0), dict(num_blocks=[]), dict(n_feat=10)])
def test_bad_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        build("enhancers", {"type": "Retinexformer", **bad})
