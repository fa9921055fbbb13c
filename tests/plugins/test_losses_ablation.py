"""Switching a prior off in an ablation (NoPrior / NoTextPrior) zeroes the losses that need it, without errors."""
from __future__ import annotations

import torch

from llie.interfaces import LossContext
from llie.registry import build


def test_losses_needing_a_disabled_prior_contribute_zero():
    pred = torch.rand(1, 3, 16, 16, requires_grad=True)
    ctx = LossContext(low=torch.rand(1, 3, 16, 16), image_prior=build("image_priors", "NoPrior"),
                      text_prior=build("text_priors", "NoTextPrior"))
    for name in ("SemanticLoss", "MultimodalLoss"):
        value = build("losses", name)(pred, torch.rand(1, 3, 16, 16), ctx)
        assert float(value) == 0.0
        value.backward()  # stays in the graph
