"""What the published enhancers share: official weights by zoo name or path, frozen unless fine-tuned."""
from __future__ import annotations

from collections.abc import Iterable

from llie.checkpoints import load_pretrained
from llie.interfaces import Enhancer


class PublishedEnhancer(Enhancer):
    """An enhancer whose reference weights are its authors' release.

    Subclasses build their layers under the parameter names of the official files, then call :meth:`load_weights`.
    Loaded weights freeze the enhancer (no gradients, eval mode kept through ``train()``; ``trainable`` False, so a
    config with it alone is training-free); ``finetune`` keeps them trainable; without weights it trains from its
    random initialisation.
    """

    #: the zoo name or path the weights came from (None: random initialisation)
    pretrained: str | None = None
    #: short sha256 of the loaded file, or "random"
    weights: str = "random"

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
