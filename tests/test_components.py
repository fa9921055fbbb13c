"""Every registered decomposer, adjuster, prior, enhancer and loss is built from the registry and run once —
forward, and backward where it has trainable parameters. A component a new plugin registers is picked up
automatically (with its defaults unless it needs a test-sized setting below)."""
from __future__ import annotations

import pytest
import torch

from llie.interfaces import ImagePrior, LossContext, PriorFeatures, Retinex, TextPrior
from llie.plugin_door import load_plugins
from llie.registry import REGISTRIES, build

load_plugins()

#: test-sized settings for components whose defaults are full-size pretrained networks
TINY = {
    "HRNetPrior": {"variant": "tiny", "num_classes": 5},
    "SegFormerPrior": {"variant": "tiny"},
    "SAMPrior": {"variant": "tiny"},
    "CLIPTextPrior": {"model": "llie-tiny-clip"},
    "SemanticAwareEnhancer": {"base_channels": 8, "levels": 2, "sem_scales": [1, 2], "block_type": "conv"},
    "Retinexformer": {"n_feat": 8, "num_blocks": [1, 1, 1]},
    "RetinexNetDecomposer": {"channels": 8, "layers": 2},
    # published enhancers default to their official weights; here their random (trainable) initialisation
    "SCI": {"pretrained": None},
    "ZeroDCE": {"pretrained": None},
    "ZeroDCEPP": {"pretrained": None},
}
SHAPE = (2, 3, 32, 48)


def names(kind: str) -> list[str]:
    return sorted(REGISTRIES[kind].module_dict)


def make(kind: str, name: str):
    return build(kind, {"type": name, **TINY.get(name, {})})


def backward_if_trainable(module, out: torch.Tensor) -> None:
    params = [p for p in module.parameters() if p.requires_grad]
    if params:
        out.float().mean().backward()
        assert any(p.grad is not None and torch.isfinite(p.grad).all() for p in params)


@pytest.mark.parametrize("name", names("decomposers"))
def test_decomposer(name):
    dec = make("decomposers", name)
    x = torch.rand(SHAPE)
    r = dec(x)
    assert isinstance(r, Retinex) and r.reflectance.shape == SHAPE
    assert r.illumination.shape[-2:] == SHAPE[-2:] and (r.illumination > 0).all()
    backward_if_trainable(dec, r.recompose())


@pytest.mark.parametrize("name", names("illumination_adjusters"))
def test_illumination_adjuster(name):
    adj = make("illumination_adjusters", name)
    out = adj(torch.rand(2, 1, 32, 48).clamp_min(0.05), torch.rand(SHAPE))
    assert out.shape[-2:] == SHAPE[-2:] and (out > 0).all() and (out <= 1).all()
    backward_if_trainable(adj, out)


@pytest.mark.parametrize("name", names("image_priors"))
def test_image_prior(name):
    prior: ImagePrior = make("image_priors", name)
    x = torch.rand(1, 3, 64, 96, requires_grad=True)
    feats = prior(x)
    assert isinstance(feats, PriorFeatures)
    assert [s for s, _ in feats.levels] == list(prior.strides)
    assert [t.shape[1] for _, t in feats.levels] == list(prior.channels)
    assert prior.frozen and not prior.training
    if feats.levels:
        feats.levels[0][1].sum().backward()
        assert x.grad is not None  # gradients reach the input (semantic loss), never the weights
        assert all(p.grad is None for p in prior.parameters())


@pytest.mark.parametrize("name", names("text_priors"))
def test_text_prior(name):
    prior: TextPrior = make("text_priors", name)
    x = torch.rand(2, 3, 64, 64)
    prompts = list(prior.positive_prompts + prior.negative_prompts) or ["a photo"]
    scores = prior.score(x, prompts)
    assert scores.shape == (2, len(prompts)) and torch.isfinite(scores).all()


@pytest.mark.parametrize("name", names("enhancers"))
def test_enhancer(name):
    enh = make("enhancers", name)
    prior = build("image_priors", {"type": "HRNetPrior", **TINY["HRNetPrior"]})
    if enh.uses_prior:
        enh.bind_prior(prior.strides, prior.channels, prior.num_classes)
    x = torch.rand(SHAPE)
    with torch.no_grad():
        feats = prior(x)
    out = enh(x, feats, None)
    assert out.shape == SHAPE and torch.isfinite(out).all()
    backward_if_trainable(enh, out)


@pytest.fixture(scope="module")
def full_model():
    """One model with every kind of part, so each loss sees the context it needs (Zero-DCE: curve maps too)."""
    return build("models", {
        "type": "SemanticPriorModel",
        "decomposer": {"type": "RetinexNetDecomposer", **TINY["RetinexNetDecomposer"]},
        "image_prior": {"type": "HRNetPrior", **TINY["HRNetPrior"]},
        "text_prior": {"type": "CLIPTextPrior", **TINY["CLIPTextPrior"]},
        "enhancer": {"type": "ZeroDCE", "pretrained": None, "width": 4},
        "losses": [{"type": n} for n in names("losses")],
    })


@pytest.mark.parametrize("name", names("losses"))
def test_loss(name, full_model):
    low, high = torch.rand(SHAPE) * 0.2, torch.rand(SHAPE)
    out, ctx = full_model.enhance(low)
    ctx.enhance = lambda x: full_model.enhance(x)[0]  # as forward(mode='loss') sets it (self-supervised losses)
    loss = next(l for l in full_model.losses if type(l).__name__ == name)
    value = loss(out, high, ctx)
    assert value.dim() == 0 and torch.isfinite(value)
    full_model.zero_grad()
    value.backward()
    assert any(p.grad is not None for p in full_model.parameters() if p.requires_grad)
    assert all(p.grad is None for p in full_model.image_prior.parameters())
    assert all(p.grad is None for p in full_model.text_prior.parameters())


def test_every_model_builds():
    for name in names("models"):
        model = build("models", {"type": name, "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}})
        assert model(torch.rand(1, 3, 17, 23)).shape == (1, 3, 17, 23)  # any size: padded and cropped back
