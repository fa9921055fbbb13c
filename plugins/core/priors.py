"""The no-prior baselines: ``NoPrior`` / ``NoTextPrior`` let a no-prior comparison row be just a config
(``image_prior: NoPrior``, ``text_prior: NoTextPrior``) running the same model code path."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from llie.interfaces import ImagePrior, PriorFeatures, TextPrior


class NoPrior(ImagePrior):
    """The image-prior slot of a baseline without semantic guidance: no parameters, empty features."""

    strides: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()
    num_classes = None
    enabled = False

    def __init__(self) -> None:
        super().__init__()
        self.freeze()

    def forward(self, x: Tensor) -> PriorFeatures:
        return PriorFeatures()

    def identity(self) -> str:
        return "NoPrior"


class NoTextPrior(TextPrior):
    """The text-prior slot of a baseline without language guidance: a marker, not a model.

    Contract, so code that does not special-case it still runs: ``encode_image`` gives ``B×0``, ``encode_text``
    gives ``N×0`` and ``score`` gives ``B×N`` zeros (every prompt equally likely, no gradient). A multimodal loss
    should check ``isinstance(text_prior, NoTextPrior)`` (or ``text_prior.enabled``) and contribute nothing.
    """

    enabled = False
    positive_prompts: tuple[str, ...] = ()
    negative_prompts: tuple[str, ...] = ()

    def encode_image(self, x: Tensor) -> Tensor:
        return x.new_zeros(x.shape[0], 0)

    def encode_text(self, prompts: Sequence[str]) -> Tensor:
        return torch.zeros(len(prompts), 0)

    def score(self, x: Tensor, prompts: Sequence[str]) -> Tensor:
        return x.new_zeros(x.shape[0], len(prompts))

    @property
    def frozen(self) -> bool:
        return True

    def identity(self) -> str:
        return "NoTextPrior"
