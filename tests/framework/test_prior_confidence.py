"""Prior confidence: max-softmax of logits, feature contrast without them."""
from __future__ import annotations

import math

import pytest
import torch

from llie.interfaces import PriorFeatures
from llie.prior_confidence import feature_contrast, max_softmax, prior_confidence


def test_max_softmax_spans_one_over_k_to_one():
    uniform = torch.zeros(1, 5, 4, 6)
    peaked = torch.zeros(1, 5, 4, 6)
    peaked[:, 2] = 50.0
    assert max_softmax(uniform).item() == pytest.approx(1 / 5)
    assert max_softmax(peaked).item() == pytest.approx(1.0)
    half = torch.zeros(1, 2, 2, 2)
    half[:, 0] = math.log(3.0)  # p = 3/4 everywhere
    assert max_softmax(half).item() == pytest.approx(0.75)


def test_max_softmax_is_per_image_and_carries_no_gradient():
    logits = torch.randn(3, 4, 5, 5, requires_grad=True)
    values = max_softmax(logits)
    assert values.shape == (3,) and not values.requires_grad
    torch.testing.assert_close(values[1:2], max_softmax(logits[1:2]))


def test_feature_contrast_is_zero_for_flat_maps_and_higher_for_structure():
    flat = [(4, torch.full((1, 3, 6, 6), 2.0)), (8, torch.full((1, 5, 3, 3), -1.0))]
    g = torch.Generator().manual_seed(0)
    structured = [(4, torch.randn(1, 3, 6, 6, generator=g)), (8, torch.randn(1, 5, 3, 3, generator=g))]
    assert feature_contrast(flat).item() == pytest.approx(0.0, abs=1e-6)
    value = feature_contrast(structured).item()
    assert 0.5 < value <= 1.0


def test_prior_confidence_prefers_logits_and_is_none_for_an_empty_prior():
    levels = [(4, torch.full((2, 3, 4, 4), 1.0))]
    logits = torch.zeros(2, 4, 8, 8)
    assert prior_confidence(PriorFeatures()) is None
    torch.testing.assert_close(prior_confidence(PriorFeatures(levels, logits)), torch.full((2,), 0.25))
    torch.testing.assert_close(prior_confidence(PriorFeatures(levels)), torch.zeros(2))
