"""Semantic loss: the enhanced image should look, to the frozen image prior, like the ground truth does.

Both images go through the same prior; feature maps are compared level by level (fine to coarse, in the order of
``PriorFeatures.levels``), optionally together with the class logits. Gradients flow into ``pred`` through the
prior, never into the prior's weights; the target's features are computed without a graph.

The prior sees the prediction clamped to [0, 1], the image evaluation scores and the range the prior was trained on
(the enhancer's raw output may overshoot; a segmentation network's features of such values are meaningless). Pixels
outside the range get no gradient from this term; the pixel loss still pulls them back.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import ImagePrior, Loss, LossContext, PriorFeatures

from .frozen import weights_without_grad

DISTANCES = ("l1", "l2")


def feature_distance(a: Tensor, b: Tensor, distance: str) -> Tensor:
    diff = a - b
    return diff.abs().mean() if distance == "l1" else diff.pow(2).mean()


class SemanticLoss(Loss):
    """``weight · (Σ_i w_i · d(F_i(pred), F_i(target)) [+ logits_weight · d(logits(pred), logits(target))])``.

    level_weights: one weight per prior level (``None``: 1 for every level); a length that does not match the
                   prior's levels is a config error.
    use_logits:    also compare the prior's class logits (segmentation priors); ``logits_weight`` scales that term.
    distance:      ``l1`` or ``l2`` (mean over elements of each level, so levels of different sizes weigh alike).
    """

    name = "semantic"

    def __init__(self, weight: float = 1.0, level_weights: Sequence[float] | None = None, use_logits: bool = False,
                 distance: str = "l1", logits_weight: float = 1.0, name: str | None = None) -> None:
        super().__init__(weight, name)
        if distance not in DISTANCES:
            raise ConfigError(f"SemanticLoss: distance '{distance}' is not one of {', '.join(DISTANCES)}")
        self.level_weights = None if level_weights is None else [float(w) for w in level_weights]
        self.use_logits = bool(use_logits)
        self.distance = distance
        self.logits_weight = float(logits_weight)

    def _prior(self, ctx: LossContext | None) -> ImagePrior:
        prior = None if ctx is None else ctx.image_prior
        if prior is None:
            raise ConfigError(f"loss '{self.name}' (SemanticLoss) needs an image prior but the model has none: "
                              "set model.image_prior or remove this loss from model.losses")
        return prior

    def _check(self, features: PriorFeatures, prior: ImagePrior) -> None:
        prior_name = type(prior).__name__
        if features.empty:
            raise ConfigError(f"loss '{self.name}' (SemanticLoss) got no features from image prior {prior_name} "
                              "(a no-prior baseline?): set model.image_prior to a real prior or remove this loss")
        if self.level_weights is not None and len(self.level_weights) != len(features.levels):
            raise ConfigError(f"loss '{self.name}' (SemanticLoss): level_weights has {len(self.level_weights)} "
                              f"entries but image prior {prior_name} gives {len(features.levels)} levels")
        if self.use_logits and features.logits is None:
            raise ConfigError(f"loss '{self.name}' (SemanticLoss): use_logits is true but image prior {prior_name} "
                              "gives no logits; set use_logits: false")

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext | None = None) -> Tensor:
        prior = self._prior(ctx)
        if not prior.enabled:  # an ablation switched the prior off (NoPrior / NoTextPrior): the term vanishes
            return pred.sum() * 0.0
        with weights_without_grad(prior):
            pred_features = prior(pred.clamp(0.0, 1.0))
            with torch.no_grad():
                target_features = prior(target)
        self._check(pred_features, prior)
        weights = self.level_weights or [1.0] * len(pred_features.levels)
        total = pred.new_zeros(())
        for w, (_, fp), (_, ft) in zip(weights, pred_features.levels, target_features.levels):
            if w != 0.0:
                total = total + w * feature_distance(fp, ft.detach(), self.distance)
        if self.use_logits and self.logits_weight != 0.0:
            total = total + self.logits_weight * feature_distance(
                pred_features.logits, target_features.logits.detach(), self.distance)
        return self.weight * total
