"""Element-wise penalties shared by the pixel and edge losses, so both accept the same ``kind`` names."""
from __future__ import annotations

import torch
from torch import Tensor

from llie.errors import ConfigError

PENALTIES = ("l1", "charbonnier", "l2")


def check_kind(kind: str, owner: str, allowed: tuple[str, ...] = PENALTIES) -> str:
    """Fail at build time (not mid-training) on a misspelt penalty name."""
    if kind not in allowed:
        raise ConfigError(f"{owner}: kind '{kind}' is not one of {', '.join(allowed)}")
    return kind


def penalty(diff: Tensor, kind: str, eps: float = 1e-3) -> Tensor:
    """Mean penalty of a difference tensor.

    ``charbonnier`` is ``sqrt(d² + eps²) − eps``: smooth at zero (unlike L1) yet linear for large errors (unlike L2);
    the ``− eps`` offset makes it exactly zero for equal inputs without changing its gradient.
    """
    if kind == "l1":
        return diff.abs().mean()
    if kind == "l2":
        return diff.pow(2).mean()
    if kind == "charbonnier":
        return (torch.sqrt(diff * diff + eps * eps) - eps).mean()
    raise ConfigError(f"unknown penalty kind '{kind}'; use one of {', '.join(PENALTIES)}")
