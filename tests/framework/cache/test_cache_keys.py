"""Cache keys: content hashes see every pixel and the shape; prior keys see identity, actual weights and dtype."""
from __future__ import annotations

import torch
from prior_cache_fixtures import PoolPrior, tiny_hrnet

from llie.cache.keys import content_hash, prior_key, weights_hash


def test_content_hash_covers_pixels_and_shape():
    image = torch.rand(3, 8, 12)
    assert content_hash(image) == content_hash(image.clone())
    changed = image.clone()
    changed[1, 4, 5] += 1e-6
    assert content_hash(changed) != content_hash(image)
    assert content_hash(image.reshape(3, 12, 8)) != content_hash(image)


def test_different_prior_weights_give_different_folders():
    a, b = tiny_hrnet(seed=0), tiny_hrnet(seed=1)
    assert a.identity() == b.identity()  # both say '@random': the identity alone cannot tell them apart
    assert prior_key(a, torch.float16)[0] != prior_key(b, torch.float16)[0]
    b.load_state_dict(a.state_dict())
    assert prior_key(a, torch.float16)[0] == prior_key(b, torch.float16)[0]


def test_storage_dtype_and_weights_change_the_key():
    prior = PoolPrior()
    folder16, described = prior_key(prior, torch.float16)
    assert "PoolPrior" in described and folder16 != prior_key(prior, torch.float32)[0]
    before = weights_hash(prior)
    with torch.no_grad():
        prior.scale.add_(1.0)
    assert weights_hash(prior) != before and prior_key(prior, torch.float16)[0] != folder16
