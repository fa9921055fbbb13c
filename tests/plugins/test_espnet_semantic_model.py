"""DeepSPG's enhancer guided by ESPNetv2Prior: the SEMs bind to the prior's layout (strides 2/4/8/16, the logits),
and one training step sends gradients to the enhancer, never to the frozen prior."""
from __future__ import annotations

import pytest
import torch

from llie.registry import build

PRIOR = {"type": "ESPNetv2Prior", "dataset": "voc", "width_scale": 0.5, "pretrained": None}
ENHANCER = {"type": "SemanticAwareEnhancer", "base_channels": 8, "levels": 2, "blocks_per_level": 1,
            "bottleneck_blocks": 1, "block_type": "conv", "sem_scales": [1, 2, 4], "ffn_expansion": 1.5}


def model(**enhancer):
    torch.manual_seed(0)
    return build("models", {"type": "SemanticPriorModel", "image_prior": PRIOR, "enhancer": {**ENHANCER, **enhancer},
                            "losses": [{"type": "PixelLoss"}, {"type": "SemanticLoss", "use_logits": True}]})


@pytest.mark.parametrize("use_logits,routes", [(False, {1: 2, 2: 4, 4: 8}), (True, {1: "logits", 2: 2, 4: 4})])
def test_sems_read_the_prior_levels_and_logits(use_logits, routes):
    m = model(use_logits=use_logits)
    assert m.enhancer.routes == routes
    widths = {2: 16, 4: 32, 8: 64, "logits": 21}  # width scale 0.5
    for scale, source in routes.items():
        assert m.enhancer.sems[str(scale)].prior_proj.in_channels == widths[source]


@pytest.mark.parametrize("use_logits", [False, True])
def test_forward_backward_trains_the_enhancer_not_the_prior(use_logits):
    m = model(use_logits=use_logits)
    m.train()
    low, high = torch.rand(2, 3, 30, 42), torch.rand(2, 3, 30, 42)  # not a multiple of the pad size
    losses = m(low, {"gt": high, "name": ["a", "b"]}, mode="loss")
    assert set(losses) == {"loss_pixel", "loss_semantic"}
    sum(losses.values()).backward()
    assert all(p.grad is None for p in m.image_prior.parameters())
    assert not m.image_prior.training
    for scale in m.enhancer.routes:
        grad = m.enhancer.sems[str(scale)].prior_proj.weight.grad
        assert grad is not None and grad.abs().sum() > 0
    assert m(low, mode="tensor").shape == low.shape


def test_shipped_config_uses_the_voc_weights_and_trains_a_step():
    from llie.config import load_config
    from llie.engine.builders import build_model

    cfg = load_config("experiments/deepspg/deepspg_espnet.yaml")
    assert dict(cfg.model.image_prior) == {"type": "ESPNetv2Prior", "dataset": "voc", "pretrained": "espnetv2_voc"}
    cfg = load_config("experiments/deepspg/deepspg_espnet.yaml", ["model.image_prior.pretrained=null"])
    m = build_model(cfg)
    assert m.enhancer.routes == {1: "logits", 2: 2}  # SKF routing: logits at full resolution, then the finest level
    low, high = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    losses = m(low, {"gt": high, "name": ["a"]}, mode="loss")
    sum(losses.values()).backward()
    assert all(p.grad is None for p in m.image_prior.parameters())
    assert any(p.grad is not None for p in m.enhancer.parameters())
