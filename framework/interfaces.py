"""Typed interfaces every component implements, with dataclass outputs.

Conventions shared by all of them (checked in tests):

* images are float tensors ``B×3×H×W`` in ``[0, 1]`` (sRGB, RGB order) unless a docstring says otherwise;
* a component never moves data between devices: it works on the device of its input;
* frozen components (priors) are in eval mode with ``requires_grad=False`` and are not touched by the optimiser.
"""
from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import Tensor, nn


@dataclass
class Retinex:
    """A Retinex decomposition ``I ≈ R ⊙ L``.

    reflectance:  ``B×3×H×W``, roughly in ``[0, 1]`` (illumination-invariant colours).
    illumination: ``B×1×H×W`` or ``B×3×H×W``, in ``(0, 1]``; broadcast over channels when single-channel.
    """

    reflectance: Tensor
    illumination: Tensor

    def recompose(self) -> Tensor:
        """``R ⊙ L`` — the image the decomposition explains."""
        return self.reflectance * self.illumination


@dataclass
class PriorFeatures:
    """What an image prior says about an image.

    levels: ``[(stride, B×C_i×⌈H/stride⌉×⌈W/stride⌉), …]`` from fine to coarse; strides and channels match the
            prior's :attr:`ImagePrior.strides` / :attr:`ImagePrior.channels`.
    logits: optional ``B×K×h×w`` class scores (segmentation priors), at ``logits_stride``.
    """

    levels: list[tuple[int, Tensor]] = field(default_factory=list)
    logits: Tensor | None = None
    logits_stride: int = 1

    @property
    def empty(self) -> bool:
        return not self.levels and self.logits is None

    def to(self, *args: Any, **kwargs: Any) -> "PriorFeatures":
        return PriorFeatures([(s, t.to(*args, **kwargs)) for s, t in self.levels],
                             None if self.logits is None else self.logits.to(*args, **kwargs), self.logits_stride)

    def select(self, index: Tensor) -> "PriorFeatures":
        """The features of the batch samples ``index`` (a 1-D index tensor)."""
        return PriorFeatures([(s, _pick(t, index)) for s, t in self.levels],
                             None if self.logits is None else _pick(self.logits, index), self.logits_stride)


def _pick(tensor: Tensor, index: Tensor) -> Tensor:
    return tensor.index_select(0, index.to(tensor.device))


class Decomposer(nn.Module, abc.ABC):
    """Splits an image into reflectance and illumination.

    ``forward(x: B×3×H×W in [0,1]) -> Retinex``. ``losses`` returns the decomposition's own training terms
    (e.g. reconstruction, reflectance consistency, illumination smoothness), keyed by name; empty when training-free.
    """

    #: whether the decomposition has parameters the optimiser should train
    trainable: bool = False

    @abc.abstractmethod
    def forward(self, x: Tensor) -> Retinex: ...

    def losses(self, low: Tensor, low_retinex: Retinex, high: Tensor | None = None,
               high_retinex: Retinex | None = None) -> dict[str, Tensor]:
        return {}


class IlluminationAdjuster(nn.Module, abc.ABC):
    """Turns the low-light illumination map into the illumination of the enhanced image.

    ``forward(illumination: B×1|3×H×W in (0,1], low: B×3×H×W) -> B×1|3×H×W in (0, 1]``.
    """

    @abc.abstractmethod
    def forward(self, illumination: Tensor, low: Tensor) -> Tensor: ...


class ImagePrior(nn.Module, abc.ABC):
    """A (usually frozen, pretrained) network whose features guide the enhancer.

    ``forward(x: B×3×H×W in [0,1]) -> PriorFeatures``. Input normalisation (e.g. ImageNet mean/std) happens inside.
    ``strides`` and ``channels`` describe ``levels`` so that an enhancer can be built before any image is seen.
    Segmentation priors also say what their logits mean: ``num_classes`` and, when known, ``class_names`` (one name
    per logit channel, in order), so tools can label a class map.
    """

    strides: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()
    num_classes: int | None = None
    #: names of the ``num_classes`` logit channels, in order; None when the prior does not know them
    class_names: tuple[str, ...] | None = None
    #: False only for the "no prior" placeholder of ablations: losses that need a prior then contribute zero
    enabled: bool = True

    @property
    def frozen(self) -> bool:
        return not any(p.requires_grad for p in self.parameters())

    def identity(self) -> str:
        """A string that changes whenever the prior's outputs could change (class, config, weights)."""
        return f"{type(self).__name__}"

    @abc.abstractmethod
    def forward(self, x: Tensor) -> PriorFeatures: ...

    def restrict_outputs(self, strides: set[int], logits: bool) -> None:
        """A promise from inference that only the levels at ``strides`` (and the logits if ``logits``) will be read,
        so the prior may skip computing the others (e.g. a segmentation head). Default: compute everything."""

    def freeze(self) -> "ImagePrior":
        """Eval mode, no gradients to the weights; stays in eval mode through ``train()`` calls."""
        for p in self.parameters():
            p.requires_grad_(False)
        super().train(False)
        self._keep_eval = True
        return self

    def train(self, mode: bool = True) -> "ImagePrior":
        if getattr(self, "_keep_eval", False):
            return super().train(False)
        return super().train(mode)


class TextPrior(nn.Module, abc.ABC):
    """A vision-language model scoring images against natural-language prompts.

    ``encode_image(x: B×3×H×W in [0,1]) -> B×D`` (L2-normalised, differentiable w.r.t. ``x``);
    ``encode_text(prompts: list[str]) -> N×D`` (L2-normalised, cached per prompt);
    ``score(x, prompts) -> B×N`` scaled cosine similarities (logits).
    ``positive_prompts`` / ``negative_prompts`` are the configured prompt sets.
    """

    positive_prompts: tuple[str, ...] = ()
    negative_prompts: tuple[str, ...] = ()
    #: False only for the "no text prior" placeholder of ablations: the multimodal loss then contributes zero
    enabled: bool = True
    #: optional on-disk prompt → embedding store (set by the prior-feature cache; see llie.cache.text)
    embedding_store: Any = None

    @abc.abstractmethod
    def encode_image(self, x: Tensor) -> Tensor: ...

    @abc.abstractmethod
    def encode_text(self, prompts: list[str]) -> Tensor: ...

    def score(self, x: Tensor, prompts: list[str]) -> Tensor:
        return 100.0 * self.encode_image(x) @ self.encode_text(list(prompts)).t()


class Enhancer(nn.Module, abc.ABC):
    """The trainable network that maps a (reflectance of a) low-light image to the enhanced one.

    ``forward(x: B×3×H×W, prior: PriorFeatures | None, retinex: Retinex | None) -> B×3×H×W``.
    ``x`` is the low-light image, or its reflectance when a decomposition is configured. Inputs must have H and W
    divisible by ``pad_multiple`` (the model pads and crops back). ``uses_prior`` says whether prior features are read.
    An enhancer with ``reads_low = True`` also accepts ``low=`` (the low-light input the model saw, ``B×3×H×W``,
    padded like ``x``): the model passes it only to those, so enhancers written before it keep working.
    """

    pad_multiple: int = 1
    uses_prior: bool = False
    #: whether ``forward`` takes the keyword ``low`` (the model's low-light input, even when ``x`` is a reflectance)
    reads_low: bool = False
    #: classical (training-free) enhancers have no parameters; the runner skips training for them
    trainable: bool = True

    def bind_prior(self, strides: tuple[int, ...], channels: tuple[int, ...], num_classes: int | None) -> None:
        """Called once by the model before training with the image prior's layout, so prior-aware enhancers can
        build their projection layers. Default: nothing to do."""

    def loss_outputs(self) -> dict[str, Tensor]:
        """Intermediate maps of the last forward pass that losses may need, each ``B×C×H×W`` at the size of that
        pass's input (e.g. Zero-DCE's curve maps under ``"curves"``). The model hands them to the losses as
        :attr:`LossContext.enhancer_outputs`, cropped like the output. Default: none."""
        return {}

    def prior_outputs_read(self) -> tuple[set[int], bool] | None:
        """The prior outputs ``forward`` reads: ``(strides of levels, whether the logits)``; None when unknown
        (then every output is computed). Lets inference skip prior outputs nobody reads."""
        return None if self.uses_prior else (set(), False)

    @abc.abstractmethod
    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor: ...

    def diagnostics(self) -> dict[str, Tensor]:
        """Per-image numbers (``name -> Tensor[B]``, detached) measured during the last forward — e.g. how far a
        prior was trusted — which evaluation copies into its per-image rows. Default: none."""
        return {}


@dataclass
class LossContext:
    """Everything a loss may need besides prediction and target.

    low: the low-light input ``B×3×H×W``; retinex: its decomposition (or None); prior_features: the image prior's
    features of ``low`` (or None); image_prior / text_prior / decomposer: the model's modules (or None), so
    semantic and multimodal losses can run them on the prediction; enhancer_outputs: the enhancer's
    :meth:`Enhancer.loss_outputs` of this forward pass (e.g. curve maps for an illumination-smoothness term);
    enhance: the model's whole enhancement ``B×3×H×W -> B×3×H×W`` (set in loss mode), for self-supervised terms that
    enhance an image of their own making (e.g. a re-darkened output) with the model being trained.

    With several data sources in a batch, each loss sees only the samples it applies to: :meth:`select` cuts every
    per-sample field down to them.
    """

    low: Tensor
    retinex: Retinex | None = None
    prior_features: PriorFeatures | None = None
    image_prior: ImagePrior | None = None
    text_prior: TextPrior | None = None
    decomposer: Decomposer | None = None
    enhancer_outputs: dict[str, Tensor] = field(default_factory=dict)
    enhance: Callable[[Tensor], Tensor] | None = None

    def select(self, index: Tensor) -> "LossContext":
        """The context of the batch samples ``index`` (a 1-D index tensor); modules and ``enhance`` are shared."""
        retinex = self.retinex
        return replace(self, low=_pick(self.low, index),
                       retinex=None if retinex is None else Retinex(_pick(retinex.reflectance, index),
                                                                    _pick(retinex.illumination, index)),
                       prior_features=None if self.prior_features is None else self.prior_features.select(index),
                       enhancer_outputs={k: _pick(v, index) for k, v in self.enhancer_outputs.items()})


class Loss(nn.Module, abc.ABC):
    """A weighted training term: ``forward(pred, target, ctx) -> scalar`` (already multiplied by ``weight``).

    ``name`` is the key under which the term is logged (``loss_<name>``). ``needs_target`` is False for
    zero-reference terms that judge the prediction against the input alone (they ignore ``target``), so they can
    train on unpaired low-light images.
    """

    name: str = "loss"
    needs_target: bool = True

    def __init__(self, weight: float = 1.0, name: str | None = None) -> None:
        super().__init__()
        self.weight = float(weight)
        if name is not None:
            self.name = name

    @abc.abstractmethod
    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext) -> Tensor: ...


def to_unit_range(x: Tensor) -> Tensor:
    """Clamp to the ``[0, 1]`` image range every interface promises."""
    return torch.clamp(x, 0.0, 1.0)
