"""Retinexformer baseline: the official architecture's parameter count and key layout, its block structure (no
normalisation before IG-MSA), the one-stage Retinex path, and loading an official-format checkpoint."""
from __future__ import annotations

import re

import pytest
import torch

from llie.errors import ConfigError
from llie.registry import build
from llie.plugins.baselines.retinexformer import IlluminationGuidedAttention, IlluminationGuidedBlock

#: RetinexFormer(stage=1, n_feat=40, num_blocks=[1, 2, 2]) of caiyuanhao1998/Retinexformer
#: (basicsr/models/archs/RetinexFormer_arch.py), counted by instantiating it: the paper's 1.61 M
OFFICIAL_PARAMS = 1_605_701
#: a few entries of that class's state_dict (names and shapes), enough to pin the layout
OFFICIAL_KEYS = {
    "body.0.estimator.conv1.weight": (40, 4, 1, 1),
    "body.0.estimator.depth_conv.weight": (40, 10, 5, 5),
    "body.0.denoiser.embedding.weight": (40, 3, 3, 3),
    "body.0.denoiser.encoder_layers.0.0.blocks.0.0.to_q.weight": (40, 40),
    "body.0.denoiser.encoder_layers.0.0.blocks.0.0.proj.bias": (40,),
    "body.0.denoiser.encoder_layers.0.0.blocks.0.0.pos_emb.2.weight": (40, 1, 3, 3),
    "body.0.denoiser.encoder_layers.0.0.blocks.0.1.fn.net.2.weight": (160, 1, 3, 3),
    "body.0.denoiser.encoder_layers.0.0.blocks.0.1.norm.weight": (40,),
    "body.0.denoiser.encoder_layers.1.2.weight": (160, 80, 4, 4),
    "body.0.denoiser.bottleneck.blocks.1.0.rescale": (4, 1, 1),
    "body.0.denoiser.decoder_layers.0.0.weight": (160, 80, 2, 2),
    "body.0.denoiser.decoder_layers.1.2.blocks.0.1.fn.net.4.weight": (40, 160, 1, 1),
    "body.0.denoiser.mapping.weight": (3, 40, 3, 3),
}


def test_parameter_count_and_key_layout_are_the_official_architectures():
    model = build("enhancers", {"type": "Retinexformer"})
    assert sum(p.numel() for p in model.parameters()) == OFFICIAL_PARAMS
    state = model.state_dict()
    assert {k: tuple(state[k].shape) for k in OFFICIAL_KEYS if k in state} == OFFICIAL_KEYS
    assert not [k for k in state if re.search(r"blocks\.\d+\.0\..*norm", k)]  # nothing normalises IG-MSA's input
    assert model.trainable and not model.uses_prior


def test_no_normalisation_before_the_attention():
    """Official IGAB: ``x + IG-MSA(x)``. With the FFN, the position embedding (its GELU) and the projection bias
    silenced, a block is then homogeneous of degree one (q, k are L2-normalised, v is linear); a LayerNorm before
    IG-MSA would make its attention term scale-invariant instead."""
    torch.manual_seed(0)
    block = IlluminationGuidedBlock(dim=8, heads=2).eval()
    with torch.no_grad():
        block[1].fn.net[4].weight.zero_()
        block[0].pos_emb[2].weight.zero_()
        block[0].proj.bias.zero_()
        x, illumination = torch.randn(1, 8, 6, 6), torch.rand(1, 8, 6, 6)
        torch.testing.assert_close(block(3.0 * x, illumination), 3.0 * block(x, illumination))


def test_an_official_format_checkpoint_loads(tmp_path):
    torch.manual_seed(0)
    source = build("enhancers", {"type": "Retinexformer", "n_feat": 8, "num_blocks": [1, 1]})
    path = tmp_path / "LOL_v1.pth"
    torch.save({"params": source.state_dict()}, path)  # BasicSR's wrapper, as the released weights
    loaded = build("enhancers", {"type": "Retinexformer", "n_feat": 8, "num_blocks": [1, 1], "pretrained": str(path)})
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), source(x))


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
    stage = model.body[0]
    x = torch.rand(1, 3, 16, 24)
    with torch.no_grad():
        stage.denoiser.mapping.weight.zero_()  # no residual: the output is exactly the lit-up image
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
    stage = model.body[0]
    assert stage.estimator.conv1.weight.grad.abs().sum() > 0
    assert stage.denoiser.embedding.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("bad", [dict(stage=0), dict(num_blocks=[]), dict(n_feat=10)])
def test_bad_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        build("enhancers", {"type": "Retinexformer", **bad})
