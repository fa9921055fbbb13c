"""What every pretrained prior shares: input normalisation as its authors trained it, and a one-line identity.

``InputNormalizer`` maps ``[0, 1]`` images to a network's expected input; ``prior_identity`` gives the string that
changes whenever a prior's outputs could change (class, config, weights) — the prior-feature cache, checkpoints and
reports key on it. Both live in the core so plugins never import each other.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from .errors import ConfigError

#: mean/std of each normalisation on the [0, 1] scale; SAM's pixel mean/std (123.675…/58.395… on 0..255) are ImageNet's
NORMALIZATIONS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]] | None] = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "clip": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
    "none": None,
}


class InputNormalizer(nn.Module):
    """Maps ``B×3×H×W`` images in ``[0, 1]`` to what a pretrained network was trained on.

    ``'none'`` passes the image through (SKF feeds HRNet [0, 1] images unnormalised). The mean/std are
    non-persistent buffers, so they follow ``.to(device)`` but never appear in checkpoints.
    """

    def __init__(self, kind: str = "imagenet", *, owner: str = "prior") -> None:
        super().__init__()
        if kind not in NORMALIZATIONS:
            raise ConfigError(f"{owner}.normalize: unknown normalisation '{kind}'; use one of {sorted(NORMALIZATIONS)}")
        self.kind = kind
        stats = NORMALIZATIONS[kind]
        mean, std = stats if stats is not None else ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "none":
            return x
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}"


def prior_identity(cls_name: str, config: Mapping[str, Any], weights: str) -> str:
    """``Class(key=value, …)@weights`` with keys sorted; ``weights`` is a file digest or ``'random'``.

    Long values (prompt lists) are replaced by a short hash so the identity stays one readable line.
    """
    parts = []
    for key in sorted(config):
        value = config[key]
        text = json.dumps(value, sort_keys=True, default=str)
        if len(text) > 40:
            text = "#" + hashlib.sha256(text.encode()).hexdigest()[:8]
        parts.append(f"{key}={text}")
    return f"{cls_name}({', '.join(parts)})@{weights}"
