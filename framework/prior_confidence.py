"""How sure an image prior is of what it says about each image: one number per image in [0, 1].

* With logits (segmentation priors): the mean over pixels of the largest class probability — the maximum-softmax
  probability, the usual baseline for spotting inputs a classifier does not understand (Hendrycks & Gimpel, 2017).
  It lies in ``[1/K, 1]``.
* Without logits (feature-only priors): a proxy, the mean over channels and levels of ``std / rms`` of each feature
  map over the image, in ``[0, 1]``. A prior that sees nothing (a black image, pure noise averaged away) gives
  nearly flat maps and a value near 0; structured content gives large spatial variation.

Caveat measured on the LOL sample with ESPNetv2 (VOC): the max-softmax is about as high on the dark inputs (0.86 –
0.99) as on their ground truths (0.89 – 0.99) although the dark ones are labelled almost entirely background — a prior
can be confidently wrong in the dark, so this number is one input of a trust decision, never the whole of it.
Everything here is computed without gradients, in float32.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .interfaces import PriorFeatures


@torch.no_grad()
def max_softmax(logits: Tensor) -> Tensor:
    """``B×K×h×w`` class scores → ``Tensor[B]``: mean over pixels of the largest class probability."""
    return torch.softmax(logits.detach().float(), dim=1).amax(dim=1).mean(dim=(1, 2))


@torch.no_grad()
def feature_contrast(levels: list[tuple[int, Tensor]]) -> Tensor:
    """``[(stride, B×C×h×w), …]`` → ``Tensor[B]``: mean of ``std / rms`` over every channel of every level."""
    parts = []
    for _, level in levels:
        var, mean = torch.var_mean(level.detach().float().flatten(2), dim=2, correction=0)
        parts.append((var / (var + mean.square()).clamp_min(1e-24)).sqrt().mean(dim=1))  # std / rms
    return torch.stack(parts).mean(dim=0)


def prior_confidence(prior: PriorFeatures) -> Tensor | None:
    """Per-image confidence of ``prior`` (from its logits when present, else its feature levels); None if empty."""
    if prior.logits is not None:
        return max_softmax(prior.logits)
    if prior.levels:
        return feature_contrast(prior.levels)
    return None
