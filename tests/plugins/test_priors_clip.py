"""CLIPTextPrior on the tiny open_clip architecture, offline."""
from __future__ import annotations

import os

import pytest
import torch

from llie.errors import CheckpointError, ConfigError
from llie.registry import build
from llie.plugins.clip_prior import TINY_CLIP

CFG = {"type": "CLIPTextPrior", "model": TINY_CLIP}


@pytest.fixture(scope="module")
def clip():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    torch.manual_seed(0)
    return build("text_priors", CFG)


def test_tiny_architecture_is_registered_with_open_clip(clip):
    import open_clip

    from llie.plugins.clip_prior import register_model_configs

    assert register_model_configs() == []  # building the prior registered it already; a second call adds nothing
    assert TINY_CLIP in open_clip.list_models()
    params = sum(p.numel() for p in open_clip.create_model(TINY_CLIP).parameters())
    assert 2e6 < params < 5e6


def test_encodes_text_and_images(clip):
    prompts = list(clip.positive_prompts + clip.negative_prompts)
    text = clip.encode_text(prompts)
    x = torch.rand(2, 3, 64, 96)
    image = clip.encode_image(x)
    assert text.shape == (len(prompts), 64) and image.shape == (2, 64)
    assert torch.allclose(text.norm(dim=-1), torch.ones(len(prompts)), atol=1e-5)
    assert torch.allclose(image.norm(dim=-1), torch.ones(2), atol=1e-5)
    scores = clip.score(x, prompts)
    assert scores.shape == (2, len(prompts))
    assert torch.allclose(scores, clip.model.logit_scale.exp() * image @ text.t(), atol=1e-5)


def test_default_prompts_are_two_nonempty_sets(clip):
    assert clip.positive_prompts and clip.negative_prompts
    assert not set(clip.positive_prompts) & set(clip.negative_prompts)


def test_text_embeddings_are_cached(clip, monkeypatch):
    calls: list[int] = []
    original = clip.model.encode_text

    def counting(tokens, *args, **kwargs):
        calls.append(tokens.shape[0])
        return original(tokens, *args, **kwargs)

    monkeypatch.setattr(clip.model, "encode_text", counting)
    first = clip.encode_text(["a dim street", "a sunny beach"])
    again = clip.encode_text(["a sunny beach", "a dim street"])
    assert calls == [2]
    assert torch.equal(first[0], again[1]) and torch.equal(first[1], again[0])
    clip.encode_text(["a dim street", "a foggy hill", "a foggy hill"])
    assert calls == [2, 1]  # only the new prompt, once


def test_gradients_reach_the_image_not_the_weights(clip):
    x = torch.rand(1, 3, 80, 48, requires_grad=True)
    clip.score(x, list(clip.positive_prompts)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in clip.parameters())


def test_frozen_and_stays_in_eval(clip):
    assert clip.frozen
    clip.train()
    assert not clip.training and not any(m.training for m in clip.modules())


@pytest.mark.parametrize("resize", ["shortest", "squash"])
def test_preprocess_gives_the_model_input_size(clip, resize):
    prior = build("text_priors", {**CFG, "resize": resize})
    x = torch.rand(2, 3, 50, 120)
    assert prior.preprocess(x).shape == (2, 3, 64, 64)


def test_shortest_side_crop_keeps_the_centre(clip):
    x = torch.zeros(1, 3, 64, 192)
    x[..., 64:128] = 1.0  # the centre third is white
    out = clip.preprocess(x) * clip.std + clip.mean
    assert torch.allclose(out, torch.ones_like(out), atol=1e-4)


def test_checkpoint_round_trip_and_identity(clip, tmp_path):
    import open_clip

    torch.manual_seed(3)
    donor = open_clip.create_model(TINY_CLIP)
    path = tmp_path / "tiny_clip.pt"
    torch.save({"state_dict": donor.state_dict(), "epoch": 1}, path)
    loaded = build("text_priors", {**CFG, "pretrained": str(path)})
    assert all(torch.equal(loaded.model.state_dict()[k], v) for k, v in donor.state_dict().items())
    assert loaded.identity() != clip.identity() and clip.identity().endswith("@random")
    assert not torch.allclose(loaded.encode_text(["a photo"]), clip.encode_text(["a photo"]))
    changed_prompts = build("text_priors", {**CFG, "positive_prompts": ["a vivid photo"]})
    assert changed_prompts.identity() != clip.identity()


def test_missing_checkpoint_is_named(tmp_path):
    path = tmp_path / "absent.bin"
    with pytest.raises(CheckpointError) as err:
        build("text_priors", {**CFG, "pretrained": str(path)})
    assert str(path) in str(err.value) and "CLIPTextPrior.pretrained" in str(err.value)


def test_unknown_or_hub_only_models_are_config_errors():
    with pytest.raises(ConfigError, match="closest: ViT-B-32"):
        build("text_priors", {**CFG, "model": "ViT-B-33"})
    with pytest.raises(ConfigError, match="Hugging Face"):
        build("text_priors", {**CFG, "model": "ViT-B-16-SigLIP"})


def test_unfrozen_prior_recomputes_text(monkeypatch):
    prior = build("text_priors", {**CFG, "frozen": False})
    assert not prior.frozen
    calls: list[int] = []
    original = prior.model.encode_text
    monkeypatch.setattr(prior.model, "encode_text", lambda t, **kw: calls.append(1) or original(t, **kw))
    prior.encode_text(["a photo"]).sum().backward()
    prior.encode_text(["a photo"])
    assert calls == [1, 1]
    assert prior.model.token_embedding.weight.grad is not None
