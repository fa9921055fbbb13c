"""Multimodal loss: a vision-language prior should describe the enhanced image with the positive prompts
(e.g. "a well-lit photo") rather than the negative ones (e.g. "a dark, noisy photo").

The prompt term is ``−log Σ_{p ∈ positives} softmax(logits / T)_p``, a cross-entropy whose target is the whole
positive set; an optional image–image term ``1 − cos(E(pred), E(target))`` pulls the prediction's embedding towards
the ground truth's. Gradients reach ``pred`` through the text prior's image encoder, never its weights.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext, TextPrior

from .frozen import weights_without_grad


class MultimodalLoss(Loss):
    """``weight · (CE_positive(score(pred, pos+neg) / temperature) + image_image_weight · (1 − cos))``.

    temperature: divides the prior's logits (which already carry CLIP's logit scale, 100); 1 keeps that scale.
    """

    name = "multimodal"

    def __init__(self, weight: float = 1.0, temperature: float = 1.0, image_image_weight: float = 0.0,
                 name: str | None = None) -> None:
        super().__init__(weight, name)
        if temperature <= 0:
            raise ConfigError(f"MultimodalLoss: temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)
        self.image_image_weight = float(image_image_weight)

    def _prior(self, ctx: LossContext | None) -> TextPrior:
        prior = None if ctx is None else ctx.text_prior
        if prior is None:
            raise ConfigError(f"loss '{self.name}' (MultimodalLoss) needs a text prior but the model has none: "
                              "set model.text_prior or remove this loss from model.losses")
        if not prior.enabled:
            return prior
        if not prior.positive_prompts or not prior.negative_prompts:
            raise ConfigError(f"loss '{self.name}' (MultimodalLoss) needs at least one positive and one negative "
                              f"prompt; text prior {type(prior).__name__} has {len(prior.positive_prompts)} positive "
                              f"and {len(prior.negative_prompts)} negative: set model.text_prior.positive_prompts "
                              "and negative_prompts")
        return prior

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext | None = None) -> Tensor:
        prior = self._prior(ctx)
        if not prior.enabled:  # an ablation switched the prior off (NoPrior / NoTextPrior): the term vanishes
            return pred.sum() * 0.0
        positives, negatives = list(prior.positive_prompts), list(prior.negative_prompts)
        with weights_without_grad(prior):
            logits = prior.score(pred, positives + negatives) / self.temperature
            log_probs = F.log_softmax(logits.float(), dim=1)
            total = -torch.logsumexp(log_probs[:, : len(positives)], dim=1).mean()
            if self.image_image_weight != 0.0:
                with torch.no_grad():
                    target_embedding = prior.encode_image(target)
                cos = F.cosine_similarity(prior.encode_image(pred).float(), target_embedding.float(), dim=1)
                total = total + self.image_image_weight * (1.0 - cos).mean()
        return self.weight * total
