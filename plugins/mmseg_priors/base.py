"""Shared body of the mmseg-built priors: a backbone with four levels (strides 4/8/16/32) plus a decode head.

Attribute names ``backbone`` / ``decode_head`` match mmseg's ``EncoderDecoder`` so official checkpoints (``meta`` +
``state_dict`` with ``backbone.*`` / ``decode_head.*`` keys) load without renaming.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch import Tensor

from llie.checkpoints import load_pretrained
from llie.errors import ConfigError
from llie.interfaces import ImagePrior, PriorFeatures
from llie.prior_support import InputNormalizer, prior_identity

from .configs import build_mmseg_module, load_model_config

LEVEL_STRIDES = (4, 8, 16, 32)


@dataclass(frozen=True)
class Variant:
    """One size of a prior: the shipped mmseg config it comes from and the edits applied to it."""

    config: str
    backbone: dict[str, Any] = field(default_factory=dict)  # merged into the backbone config (dicts recursively)
    head: dict[str, Any] = field(default_factory=dict)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class MMSegPrior(ImagePrior):
    """A frozen mmseg segmentation network used as an image prior.

    Weights' ``requires_grad`` is False when frozen, but ``forward`` does not disable autograd: a semantic loss
    runs the prior on the enhanced output and needs gradients w.r.t. that input. Callers that only want features
    wrap the call in ``torch.no_grad()``.
    """

    VARIANTS: ClassVar[dict[str, Variant]] = {}
    DEFAULT_NORMALIZE: ClassVar[str] = "imagenet"

    def __init__(self, variant: str, num_classes: int, pretrained: str | None = None, frozen: bool = True,
                 normalize: str | None = None, with_logits: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        if variant not in self.VARIANTS:
            raise ConfigError(f"{name}.variant: unknown variant '{variant}'; use one of {sorted(self.VARIANTS)}")
        normalize = self.DEFAULT_NORMALIZE if normalize is None else normalize
        self.config = {"variant": variant, "num_classes": int(num_classes), "normalize": normalize,
                       "with_logits": bool(with_logits)}
        self.normalizer = InputNormalizer(normalize, owner=name)
        spec = self.VARIANTS[variant]
        backbone_cfg, head_cfg = load_model_config(spec.config)
        backbone_cfg = merge(backbone_cfg, spec.backbone)
        head_cfg = merge(head_cfg, {**spec.head, "num_classes": int(num_classes)})
        self.backbone = build_mmseg_module(backbone_cfg)
        self.decode_head = build_mmseg_module(head_cfg)
        self.channels = tuple(int(c) for c in head_cfg["in_channels"])
        self.strides = LEVEL_STRIDES
        self.num_classes = int(num_classes) if with_logits else None
        self.with_logits = bool(with_logits)
        self._logits_read = True  # inference may promise not to read them (restrict_outputs)
        self.weights = load_pretrained(self, pretrained, what=f"{name}.pretrained",
                                       drop_prefixes=("auxiliary_head.", "data_preprocessor."))
        if frozen:
            self.freeze()

    def restrict_outputs(self, strides: set[int], logits: bool) -> None:
        """Skip the decode head when its logits are not read (the backbone gives every level at once)."""
        self._logits_read = bool(logits)

    def forward(self, x: Tensor) -> PriorFeatures:
        features = list(self.backbone(self.normalizer(x)))
        levels = list(zip(self.strides, features))
        logits = self.decode_head(features) if self.with_logits and self._logits_read else None
        return PriorFeatures(levels=levels, logits=logits, logits_stride=self.strides[0])

    def identity(self) -> str:
        return prior_identity(type(self).__name__, self.config, self.weights)
