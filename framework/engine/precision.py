"""Frozen priors in reduced precision, for training (``train.amp``) and inference (``model.prior_precision``,
``llie enhance --precision``). Torch only — no mmengine import — so inference loads nothing it does not run.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from ..interfaces import PriorFeatures

#: inference precisions (``model.prior_precision``, ``llie enhance --precision``) and their dtypes (None: float32)
PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16}
#: layers whose weights autocast casts to the reduced dtype anyway: storing them in it changes no result
_AUTOCAST_WEIGHT_LAYERS = (torch.nn.modules.conv._ConvNd, torch.nn.Linear)


def default_device_type() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def _autograd_ready(t: Tensor) -> Tensor:
    """An ordinary float32 tensor from one made under ``inference_mode`` (those cannot be saved for backward)."""
    return t.float() if t.dtype != torch.float32 else t.clone()


def detach_features(features: PriorFeatures | None) -> PriorFeatures | None:
    if features is None:
        return None
    return PriorFeatures([(s, _autograd_ready(t)) for s, t in features.levels],
                         None if features.logits is None else _autograd_ready(features.logits), features.logits_stride)


@contextmanager
def frozen_prior_context(dtype: torch.dtype | None, device_type: str | None = None) -> Iterator[None]:
    """``inference_mode`` (no autograd records, no version counters) and autocast in ``dtype`` when given."""
    with torch.inference_mode():
        if dtype is None:
            yield
        else:
            with torch.autocast(device_type=device_type or default_device_type(), dtype=dtype):
                yield


def lower_precision_weights(module: torch.nn.Module, dtype: torch.dtype) -> int:
    """Store the weights of ``module``'s convolutions and linear layers in ``dtype``; returns how many layers.

    For a frozen prior run under autocast in ``dtype`` (:func:`frozen_prior_context`): autocast would round those
    weights to ``dtype`` at every call, so storing them rounded gives identical outputs at half the memory. Other
    parameters (normalisation layers, embeddings) stay float32, as autocast leaves them. Inference only: a model
    being trained keeps float32 weights (checkpoints must not change dtype).
    """
    count = 0
    for layer in module.modules():
        if isinstance(layer, _AUTOCAST_WEIGHT_LAYERS):
            layer.to(dtype)
            count += 1
    return count
