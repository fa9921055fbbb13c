"""CLIP text embeddings on disk: computed once, then served to any process with the same prior weights."""
from __future__ import annotations

import pytest
import torch

from llie.cache.text import TextEmbeddingStore
from llie.registry import build

PROMPTS = ["a bright photo", "a dark photo"]


def tiny_clip():
    torch.manual_seed(0)
    return build("text_priors", {"type": "CLIPTextPrior", "model": "llie-tiny-clip"})


def test_embeddings_written_once_then_read_by_another_instance(tmp_path, monkeypatch):
    first = tiny_clip()
    first.embedding_store = TextEmbeddingStore(tmp_path, first)
    expected = first.encode_text(PROMPTS)
    assert len(list(first.embedding_store.folder.glob("*.pt"))) == 2

    second = tiny_clip()
    second.load_state_dict(first.state_dict())
    second.embedding_store = TextEmbeddingStore(tmp_path, second)
    assert second.embedding_store.folder == first.embedding_store.folder  # same weights, same folder

    def no_forward(prompts):
        raise AssertionError("text tower ran although every prompt is on disk")

    monkeypatch.setattr(second, "_encode_prompts", no_forward)
    assert torch.allclose(second.encode_text(PROMPTS), expected)
    assert second.embedding_store.hits == 2


def test_different_weights_use_a_different_folder(tmp_path):
    a, b = tiny_clip(), tiny_clip()
    with torch.no_grad():
        next(b.parameters()).add_(1.0)
    assert TextEmbeddingStore(tmp_path, a).folder != TextEmbeddingStore(tmp_path, b).folder


def test_unreadable_entry_is_recomputed(tmp_path):
    prior = tiny_clip()
    store = TextEmbeddingStore(tmp_path, prior)
    store.path(PROMPTS[0]).write_bytes(b"truncated")
    prior.embedding_store = store
    out = prior.encode_text(PROMPTS[:1])
    assert out.shape[0] == 1 and store.misses == 1
    assert torch.load(store.path(PROMPTS[0]), weights_only=True)["prompt"] == PROMPTS[0]


@pytest.mark.parametrize("use_cache", [True, False])
def test_training_with_the_prior_cache_fills_the_text_store(tmp_path, use_cache):
    import yaml

    from llie.config import load_config
    from llie.engine.training import train

    cfg = {
        "seed": 0,
        "model": {"text_prior": {"type": "CLIPTextPrior", "model": "llie-tiny-clip"},
                  "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1},
                  "losses": [{"type": "PixelLoss"}, {"type": "MultimodalLoss", "weight": 0.01}]},
        "data": {"batch_size": 2,
                 "train": {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1,
                           "crop_size": 16},
                 "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1}},
        "train": {"max_iters": 2, "val_interval": 2},
        "prior_cache": {"root": str(tmp_path / "cache")} if use_cache else None,
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    train(load_config(path), tmp_path / "w", progress=False)
    entries = list((tmp_path / "cache").glob("text/*/*.pt"))
    assert (len(entries) > 0) == use_cache
