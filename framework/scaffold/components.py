"""The component module ``llie new-plugin`` writes, one per kind: a minimal working implementation of the interface,
with its shapes documented where a user will replace the body.

Placeholders: ``__NAME__`` (the plugin's package), ``__CLASS__`` (the component's class).
"""
from __future__ import annotations

IMAGE_PRIOR = '''"""__CLASS__: an image prior — features of the low-light input that guide the enhancer.

Contract (llie.interfaces.ImagePrior): ``forward(x)`` takes ``B×3×H×W`` in [0, 1] and returns ``PriorFeatures`` whose
``levels`` are ``[(stride, B×C×⌈H/stride⌉×⌈W/stride⌉), …]`` from fine to coarse, matching ``strides`` and
``channels`` (set before the first image, so the enhancer can size its layers). Frozen (eval mode, no gradients to
the weights) yet differentiable w.r.t. ``x``: the semantic loss runs it on the enhanced image.

Replace the two stages with your network and point ``pretrained`` at its weights (a local file, read weights-only).
"""
from __future__ import annotations

from torch import Tensor, nn

from llie.checkpoints import load_pretrained
from llie.interfaces import ImagePrior, PriorFeatures
from llie.prior_support import InputNormalizer, prior_identity


class __CLASS__(ImagePrior):
    """Two strided convolution stages: features at strides 2 and 4 with ``width`` and ``2·width`` channels."""

    def __init__(self, width: int = 16, pretrained: str | None = None, normalize: str = "imagenet") -> None:
        super().__init__()
        self.strides, self.channels = (2, 4), (width, 2 * width)
        self.config = {"width": width, "normalize": normalize}
        self.normalizer = InputNormalizer(normalize, owner="__CLASS__")
        self.stage1 = nn.Sequential(nn.Conv2d(3, width, 3, stride=2, padding=1), nn.GELU())
        self.stage2 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.GELU())
        self.weights = load_pretrained(self, pretrained, what="__CLASS__.pretrained")  # None: random, with a warning
        self.freeze()

    def forward(self, x: Tensor) -> PriorFeatures:
        fine = self.stage1(self.normalizer(x))
        return PriorFeatures(levels=[(2, fine), (4, self.stage2(fine))])

    def identity(self) -> str:
        """Changes whenever the outputs could (class, config, weights): a sweep's prior-feature cache keys on it."""
        return prior_identity(type(self).__name__, self.config, self.weights)
'''

TEXT_PRIOR = '''"""__CLASS__: a text prior — a vision–language model scoring images against prompts.

Contract (llie.interfaces.TextPrior):
  ``encode_image(x: B×3×H×W in [0, 1]) -> B×D``, L2-normalised, differentiable w.r.t. ``x`` (the multimodal loss
  backpropagates through it into the enhanced image); ``encode_text(prompts) -> N×D``, L2-normalised;
  ``score(x, prompts) -> B×N`` logits (the base class: 100 · cosine); ``positive_prompts`` / ``negative_prompts``:
  what a well-enhanced image should and should not look like. Frozen: no gradients to its weights.

Deliberately small — a strided convolution with global pooling for images, hashed character trigrams for text — so
it runs anywhere. Replace both encoders with your model and ``pretrained`` with its weights.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.checkpoints import load_pretrained
from llie.interfaces import TextPrior
from llie.prior_support import prior_identity


class __CLASS__(TextPrior):
    """Image: conv 5×5/4 → GELU → global mean → linear. Text: mean of hashed character-trigram embeddings."""

    def __init__(self, dim: int = 64, buckets: int = 2048, pretrained: str | None = None,
                 positive_prompts: Sequence[str] = ("a well-lit photo", "a bright, clear photo"),
                 negative_prompts: Sequence[str] = ("a dark photo", "a noisy, underexposed photo")) -> None:
        super().__init__()
        self.positive_prompts, self.negative_prompts = tuple(positive_prompts), tuple(negative_prompts)
        self.config, self.buckets = {"dim": dim, "buckets": buckets}, buckets
        self.image_encoder = nn.Sequential(nn.Conv2d(3, dim, 5, stride=4, padding=2), nn.GELU(),
                                           nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(dim, dim))
        self.text_encoder = nn.EmbeddingBag(buckets, dim, mode="mean")
        self.weights = load_pretrained(self, pretrained, what="__CLASS__.pretrained")  # None: random, with a warning
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "__CLASS__":
        return super().train(False)  # frozen: stays in eval mode while the model trains

    def identity(self) -> str:
        return prior_identity(type(self).__name__, self.config, self.weights)

    def encode_image(self, x: Tensor) -> Tensor:
        return F.normalize(self.image_encoder(x), dim=-1)

    def encode_text(self, prompts: Sequence[str]) -> Tensor:
        grams = [[zlib.crc32(t[i:i + 3].encode()) % self.buckets for i in range(len(t) - 2)]
                 for t in (f"  {p.lower()} " for p in prompts)]
        device = self.text_encoder.weight.device
        flat = torch.tensor([g for gs in grams for g in gs], dtype=torch.long, device=device)
        offsets = torch.tensor([0] + [len(gs) for gs in grams[:-1]], device=device).cumsum(0)
        return F.normalize(self.text_encoder(flat, offsets), dim=-1)
'''

ENHANCER = '''"""__CLASS__: an enhancer — the trainable network that turns the low-light image (or its reflectance) into
the enhanced one.

Contract (llie.interfaces.Enhancer): ``forward(x, prior, retinex) -> B×3×H×W``; ``x`` is ``B×3×H×W``, the low-light
image in [0, 1] or its reflectance when the config has a decomposer; ``prior`` is the image prior's
``PriorFeatures`` (or None), ``retinex`` the decomposition (or None). H and W are multiples of ``pad_multiple`` (the
model pads and crops back). With ``uses_prior = True`` the model calls ``bind_prior(strides, channels, num_classes)``
once, before training, with the image prior's layout.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from llie.interfaces import Enhancer, PriorFeatures, Retinex


class __CLASS__(Enhancer):
    """A residual CNN; with an image prior, its finest level is projected and added to the features."""

    uses_prior = True
    pad_multiple = 1

    def __init__(self, width: int = 16, depth: int = 3) -> None:
        super().__init__()
        self.width = width
        self.head = nn.Conv2d(3, width, 3, padding=1)
        layers = [(nn.Conv2d(width, width, 3, padding=1), nn.GELU()) for _ in range(depth)]
        self.body = nn.Sequential(*[m for pair in layers for m in pair])
        self.tail = nn.Conv2d(width, 3, 3, padding=1)
        self.prior_proj: nn.Module | None = None

    def bind_prior(self, strides: tuple[int, ...], channels: tuple[int, ...], num_classes: int | None) -> None:
        if strides:  # the no-prior placeholder of ablations has no levels
            self.prior_proj = nn.Conv2d(channels[0], self.width, 1)

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        features = F.gelu(self.head(x))
        if self.prior_proj is not None and prior is not None and prior.levels:
            guide = self.prior_proj(prior.levels[0][1])
            features = features + F.interpolate(guide, size=features.shape[-2:], mode="bilinear", align_corners=False)
        return x + self.tail(self.body(features))
'''

LOSS = '''"""__CLASS__: a training loss — logged as ``loss___NAME__``, chosen per stage by that name.

Contract (llie.interfaces.Loss): ``forward(pred, target, ctx) -> scalar``, already multiplied by ``weight``;
``pred`` and ``target`` are ``B×3×H×W`` in [0, 1]; ``ctx`` (llie.interfaces.LossContext) carries the low-light input,
its Retinex decomposition and the model's priors, for terms that need them.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext


class __CLASS__(Loss):
    """Local exposure: mean brightness in ``patch``×``patch`` windows, prediction against ground truth (L1)."""

    name = "__NAME__"

    def __init__(self, weight: float = 1.0, patch: int = 8, name: str | None = None) -> None:
        super().__init__(weight, name)
        if patch < 1:
            raise ConfigError(f"__CLASS__.patch must be at least 1, got {patch}")
        self.patch = int(patch)

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext | None = None) -> Tensor:
        k = min(self.patch, pred.shape[-2], pred.shape[-1])
        brightness = [F.avg_pool2d(img.mean(dim=1, keepdim=True), k, ceil_mode=True) for img in (pred, target)]
        return self.weight * (brightness[0] - brightness[1]).abs().mean()
'''

DATASET = '''"""__CLASS__: a dataset — low-light / ground-truth pairs in your own folder layout.

Layout: ``root/<split>/low/*`` and ``root/<split>/high/*`` paired by file stem, ``split`` 'train' or 'test'; any image
llie reads (8/16-bit PNG, JPEG, TIFF, .npy). Items, as the model receives them (the base class reads, crops, augments
and converts): ``{'inputs': low 3×H×W float32 in [0, 1], 'data_samples': {'gt': high 3×H×W float32 in [0, 1],
'name': str, …}}``. Options beyond root and split — crop_size, augment, repeat, resize, max_images, skip_bad_pairs,
seed — are llie.data.PairedImageDataset's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from llie.data import PairedImageDataset, pair_folder_files
from llie.data.paired import check_split, require_root
from llie.errors import DataError


class __CLASS__(PairedImageDataset):
    LAYOUT = "root/<split>/low + root/<split>/high"

    def __init__(self, root: str | Path | None = None, split: str = "train", **options: Any) -> None:
        self.split = check_split("__CLASS__", split)
        base = require_root("__CLASS__", root, self.LAYOUT)
        low, high = base / split / "low", base / split / "high"
        for folder in (low, high):
            if not folder.is_dir():
                raise DataError(f"__CLASS__: {folder} is not a folder (expected layout: {self.LAYOUT})")
        pairs = pair_folder_files(low, high, dataset="__CLASS__", skip_orphans=bool(options.get("skip_bad_pairs")))
        super().__init__(pairs, root=base, **options)
'''
