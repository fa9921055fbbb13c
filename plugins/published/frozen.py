"""What the published enhancers share: official weights by zoo name or path, frozen unless fine-tuned."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import Tensor

from llie.checkpoints import load_pretrained
from llie.interfaces import Enhancer


class PublishedEnhancer(Enhancer):
    """An enhancer whose reference weights are its authors' release.

    Subclasses build their layers under the parameter names of the official files, then call :meth:`load_weights`.
    Loaded weights freeze the enhancer (no gradients, eval mode kept through ``train()``; ``trainable`` False, so a
    config with it alone is training-free); ``finetune`` keeps them trainable; without weights it trains from its
    random initialisation.

    Intermediate maps a forward pass hands to :meth:`remember` are what :meth:`loss_outputs` returns until the next
    pass; copies and pickles of the module leave them out (a non-leaf tensor cannot be deep-copied, e.g. by an EMA
    hook).
    """

    #: the zoo name or path the weights came from (None: random initialisation)
    pretrained: str | None = None
    #: short sha256 of the loaded file, or "random"
    weights: str = "random"

    def __init__(self) -> None:
        super().__init__()
        self._last_outputs: dict[str, Tensor] = {}

    def remember(self, **maps: Tensor) -> None:
        self._last_outputs = maps

    def loss_outputs(self) -> dict[str, Tensor]:
        return dict(self._last_outputs)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_last_outputs"] = {}
        return state

    def load_weights(self, pretrained: str | None, finetune: bool, *, drop_prefixes: Iterable[str] = ()) -> None:
        self.pretrained = None if pretrained is None else str(pretrained)
        self.weights = load_pretrained(self, pretrained, what=f"{type(self).__name__}.pretrained",
                                       drop_prefixes=drop_prefixes)
        self.trainable = self.weights == "random" or bool(finetune)
        if not self.trainable:
            for p in self.parameters():
                p.requires_grad_(False)
            super().train(False)

    def train(self, mode: bool = True) -> "PublishedEnhancer":
        return super().train(mode and self.trainable)
