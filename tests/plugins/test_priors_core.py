"""The no-prior baselines and the helpers the pretrained priors share."""
from __future__ import annotations

import pytest
import torch

from llie.errors import ConfigError
from llie.registry import build
from llie.plugins.core.priors import NoPrior, NoTextPrior
from llie.prior_support import InputNormalizer, prior_identity


def test_no_prior_gives_empty_features():
    prior = build("image_priors", "NoPrior")
    assert isinstance(prior, NoPrior)
    out = prior(torch.rand(2, 3, 16, 24))
    assert out.empty and out.levels == [] and out.logits is None
    assert prior.strides == () and prior.channels == () and prior.num_classes is None
    assert prior.frozen and prior.identity() == "NoPrior"
    prior.train()
    assert not prior.training


def test_no_text_prior_is_an_uninformative_marker():
    prior = build("text_priors", "NoTextPrior")
    assert isinstance(prior, NoTextPrior) and prior.enabled is False
    assert prior.positive_prompts == () and prior.negative_prompts == ()
    x = torch.rand(3, 3, 8, 8)
    assert prior.encode_image(x).shape == (3, 0)
    assert prior.encode_text(["a", "b"]).shape == (2, 0)
    scores = prior.score(x, ["a", "b"])
    assert scores.shape == (3, 2) and not scores.any() and not scores.requires_grad
    assert prior.identity() == "NoTextPrior"


def test_imagenet_normalisation_values():
    norm = InputNormalizer("imagenet")
    x = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    assert torch.allclose(norm(x), torch.zeros(1, 3, 2, 2), atol=1e-6)
    assert torch.allclose(norm(torch.ones(1, 3, 1, 1)).flatten(),
                          torch.tensor([(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225]))
    assert norm.state_dict() == {}  # never saved into checkpoints


def test_no_normalisation_passes_through():
    x = torch.rand(1, 3, 4, 4)
    assert InputNormalizer("none")(x) is x


def test_unknown_normalisation():
    with pytest.raises(ConfigError, match="SAMPrior.normalize: unknown normalisation 'zscore'"):
        InputNormalizer("zscore", owner="SAMPrior")


def test_prior_identity_is_sorted_and_compact():
    a = prior_identity("P", {"variant": "w48", "num_classes": 59}, "random")
    b = prior_identity("P", {"num_classes": 59, "variant": "w48"}, "random")
    assert a == b == 'P(num_classes=59, variant="w48")@random'
    long = prior_identity("P", {"prompts": ["a long prompt"] * 10}, "abc")
    assert long.startswith("P(prompts=#") and len(long) < 40
    assert long != prior_identity("P", {"prompts": ["a long prompt"] * 9}, "abc")
