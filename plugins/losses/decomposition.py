"""Decomposition loss: trains a learned Retinex decomposer jointly with the enhancer.

The decomposer's own terms (reconstruction, reflectance consistency, smoothness …) already carry the weights set on
the decomposer; this loss sums them and applies its own ``weight``. With a training-free (or frozen) decomposer it is
a zero that still belongs to the autograd graph, so the total loss stays differentiable.
"""
from __future__ import annotations

from torch import Tensor

from llie.interfaces import Loss, LossContext


class DecompositionLoss(Loss):
    """``weight · Σ decomposer.losses(low, R/L of low, high, R/L of high)``."""

    name = "decomposition"

    def __init__(self, weight: float = 1.0, name: str | None = None) -> None:
        super().__init__(weight, name)
        #: the last unweighted terms, detached, for logging or debugging
        self.last_terms: dict[str, float] = {}

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext | None = None) -> Tensor:
        decomposer = None if ctx is None else ctx.decomposer
        if decomposer is None or not decomposer.trainable:
            self.last_terms = {}
            return pred.sum() * 0.0
        low_retinex = ctx.retinex if ctx.retinex is not None else decomposer(ctx.low)
        terms = decomposer.losses(ctx.low, low_retinex, target, decomposer(target))
        self.last_terms = {k: float(v.detach()) for k, v in terms.items()}
        if not terms:
            return pred.sum() * 0.0
        return self.weight * sum(terms.values())
