"""Running a prior on the prediction without training the prior."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def weights_without_grad(module: nn.Module) -> Iterator[nn.Module]:
    """Within the block, ``module``'s parameters do not require grad, so a graph built through it sends gradients to
    its input only. Restores each parameter's flag afterwards. Priors are normally frozen already; this keeps a
    prior-based loss from training a prior that someone left trainable."""
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        yield module
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
