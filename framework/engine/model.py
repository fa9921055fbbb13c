"""The composed model every config trains: decomposer + image prior + enhancer (+ text prior) + losses.

It is an mmengine ``BaseModel`` so the mmengine ``Runner`` drives training, validation and checkpoints; every part
is built by name from the registries, and ``none`` (or null) switches an optional part off.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from ..errors import ConfigError, NonFiniteLossError
from ..interfaces import Decomposer, Enhancer, ImagePrior, LossContext, PriorFeatures, Retinex, TextPrior
from ..registry import build
from .padding import crop_to, lcm, pad_to_multiple
from .precision import PRECISIONS, detach_features, frozen_prior_context


def _optional_is_absent(cfg: Any) -> bool:
    """``None`` / ``'none'`` / ``{'type': 'none'}`` mean an optional part is absent."""
    if cfg is None or (isinstance(cfg, str) and cfg.lower() == "none"):
        return True
    return isinstance(cfg, dict) and str(cfg.get("type", "")).lower() == "none"


def _optional(kind: str, cfg: Any) -> Any:
    return None if _optional_is_absent(cfg) else build(kind, cfg)


def build_frozen_part(kind: str, cfg: Any) -> Any:
    """Build a prior under a fixed RNG seed derived from its config.

    A randomly initialised prior (``pretrained: null``) is then the same network in every cell and seed of a sweep:
    ablations compare like with like, and the prior-feature cache can share its outputs across cells.
    """
    if _optional_is_absent(cfg):
        return None
    text = json.dumps(cfg, sort_keys=True, default=str)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
        return build(kind, cfg)


class SemanticPriorModel(BaseModel):
    """Low-light enhancement guided by optional semantic priors.

    Forward pass on a low-light batch ``low`` (B×3×H×W in [0,1]):

    1. ``retinex = decomposer(low)`` (absent: the enhancer sees ``low`` itself);
    2. ``prior = image_prior(low)`` — under ``no_grad`` when the prior is frozen;
    3. ``out = enhancer(retinex.reflectance or low, prior, retinex)`` (+ ``low=low`` for enhancers that read it);
    4. with an illumination adjuster: ``out = out ⊙ adjuster(retinex.illumination, low)``.

    ``prior_precision`` (``'fp32'`` default | ``'bf16'``): outside training, a frozen image prior computes its
    features under ``inference_mode`` and bf16 autocast, handed on as float32 (the training-time counterpart is
    ``train.amp``, see :mod:`llie.engine.perf`). It can change results slightly, so it is a recorded config key;
    the measured difference is in the README's Performance section.

    Losses (``mode='loss'``) are the configured terms, logged as ``loss_<name>``; ``mode='predict'`` returns one
    dict per image with ``pred`` (clamped to [0,1]), ``name`` and — when the batch has ground truth — ``gt``, for
    the metrics, plus ``extras`` (``{name: float}``, the enhancer's :meth:`~llie.interfaces.Enhancer.diagnostics`)
    when the enhancer reports any.

    A batch of several sources (:mod:`llie.data.mixed`: per-sample ``source`` and ``has_target``) is split: each
    loss is computed separately on each source's samples that it applies to — a loss that ``needs_target`` only on
    samples with ground truth, a loss restricted by its config key ``sources: [name, ...]`` (read here, not by the
    loss) only on those sources — and logged as ``loss_<name>_<source>``. Every such term is a mean over that source's
    samples and mmengine sums the terms, so a source's weight in the objective is set by the loss weights, not by its
    share of the batch (the share sets how many samples the mean is taken over, i.e. its noise). Coarse-to-fine stages
    name losses by ``<name>``, which selects every source's term of that loss. A batch of one plain dataset has no
    sources: terms stay ``loss_<name>``, computed on the whole batch, and ``sources``-restricted losses are left out.
    """

    def __init__(self, enhancer: dict, decomposer: Any = None, image_prior: Any = None, text_prior: Any = None,
                 illumination_adjuster: Any = None, losses: list | tuple = (), pad_multiple: int = 1,
                 prior_precision: str = "fp32", data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if prior_precision not in PRECISIONS:
            raise ConfigError(f"model.prior_precision: unknown value {prior_precision!r}; use one of "
                              f"{sorted(PRECISIONS)}")
        #: the dtype a frozen image prior computes features in outside training (None: float32)
        self.prior_precision = prior_precision
        self.prior_dtype: torch.dtype | None = PRECISIONS[prior_precision]
        self.decomposer: Decomposer | None = _optional("decomposers", decomposer)
        self.image_prior: ImagePrior | None = build_frozen_part("image_priors", image_prior)
        self.text_prior: TextPrior | None = build_frozen_part("text_priors", text_prior)
        #: what each prior slot was built from: a frozen prior is rebuilt from it instead of being stored in training
        #: checkpoints (see llie.engine.frozen_parts)
        self.part_configs: dict[str, Any] = {"image_prior": image_prior, "text_prior": text_prior}
        self.illumination_adjuster = _optional("illumination_adjusters", illumination_adjuster)
        self.enhancer: Enhancer = build("enhancers", enhancer)
        if self.image_prior is not None and self.enhancer.uses_prior:
            self.enhancer.bind_prior(tuple(self.image_prior.strides), tuple(self.image_prior.channels),
                                     self.image_prior.num_classes)
        configs = [self._split_sources(i, c) for i, c in enumerate(losses or [])]
        self.losses = nn.ModuleList(build("losses", c) for c, _ in configs)
        names = [loss.name for loss in self.losses]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ConfigError(f"model.losses: two losses share the name {duplicated}; give each a distinct 'name'")
        #: loss name -> the data sources it is restricted to (None: every source)
        self.loss_sources: dict[str, tuple[str, ...] | None] = {
            loss.name: sources for loss, (_, sources) in zip(self.losses, configs)}
        self._warned_unrouted = False
        self.pad_multiple = lcm(pad_multiple, self.enhancer.pad_multiple)
        #: names of the loss terms in use (None: all) — coarse-to-fine stages train with a subset
        self.active_losses: set[str] | None = None
        #: optional hook for a prior-feature cache: ``fn(prior, low, data_samples) -> PriorFeatures``; ``low`` is the
        #: padded batch the prior would see, ``data_samples`` the batch's collated samples (or None)
        self.prior_feature_fn = None

    @staticmethod
    def _split_sources(index: int, cfg: Any) -> tuple[Any, tuple[str, ...] | None]:
        """A loss config without its model-level ``sources`` key, and that key's source names (None when absent)."""
        if not isinstance(cfg, dict) or "sources" not in cfg:
            return cfg, None
        cfg = dict(cfg)
        sources = cfg.pop("sources")
        if isinstance(sources, str):
            sources = [sources]
        if not isinstance(sources, (list, tuple)) or not sources or not all(isinstance(s, str) and s for s in sources):
            raise ConfigError(f"model.losses[{index}].sources must be a non-empty list of data source names "
                              f"(data.train.sources keys), got {sources!r}")
        return cfg, tuple(sources)

    TRAINABLE_PARTS = ("decomposer", "illumination_adjuster", "enhancer")
    #: the slots built by :func:`build_frozen_part`: when frozen, rebuilt from config + weights file rather than stored
    REBUILT_PARTS = ("image_prior", "text_prior")

    def configure_stage(self, losses: list[str] | None = None, trainable: list[str] | None = None) -> None:
        """Restrict training to some loss terms and some parts (a coarse-to-fine stage). Frozen priors stay frozen."""
        if losses is not None:
            known = [loss.name for loss in self.losses]
            unknown = [n for n in losses if n not in known]
            if unknown:
                raise ConfigError(f"train.stages: loss {unknown} is not among model.losses names {known}")
            self.active_losses = set(losses)
        if trainable is not None:
            unknown = [n for n in trainable if n not in self.TRAINABLE_PARTS]
            if unknown:
                raise ConfigError(f"train.stages: trainable {unknown} must be among {list(self.TRAINABLE_PARTS)}")
            for part in self.TRAINABLE_PARTS:
                module = getattr(self, part)
                if module is not None and getattr(module, "trainable", True):
                    module.requires_grad_(part in trainable)

    # ---- building blocks -------------------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return any(p.requires_grad for p in self.parameters())

    def prior_features(self, low: Tensor, data_samples: dict | None = None,
                       cached: bool = True) -> PriorFeatures | None:
        """The image prior's features of ``low``; ``data_samples`` tell a prior-feature cache where ``low`` came
        from (source image, crop window, flips; see :mod:`llie.data.paired`). ``cached=False`` bypasses the cache
        (images made during a step, e.g. by a self-supervised loss, are not worth storing)."""
        if self.image_prior is None:
            return None
        if self.prior_feature_fn is not None and cached:
            return self.prior_feature_fn(self.image_prior, low, data_samples)
        if self.image_prior.frozen:
            if self.prior_dtype is not None and not self.training:
                with frozen_prior_context(self.prior_dtype, low.device.type):
                    features = self.image_prior(low)
                return detach_features(features)
            with torch.no_grad():
                return self.image_prior(low)
        return self.image_prior(low)

    def enhance(self, low: Tensor, names: list[str] | None = None, data_samples: dict | None = None,
                cached: bool = True) -> tuple[Tensor, LossContext]:
        """Enhance a batch of any size (padded to the model's multiple and cropped back)."""
        padded, size = pad_to_multiple(low, self.pad_multiple)
        retinex: Retinex | None = self.decomposer(padded) if self.decomposer is not None else None
        prior = self.prior_features(padded, data_samples, cached)
        x = retinex.reflectance if retinex is not None else padded
        extra = {"low": padded} if getattr(self.enhancer, "reads_low", False) else {}
        out = self.enhancer(x, prior, retinex, **extra)
        if self.illumination_adjuster is not None:
            if retinex is None:
                raise ConfigError("model.illumination_adjuster needs a model.decomposer (got none)")
            out = out * self.illumination_adjuster(retinex.illumination, padded)
        extras = {key: crop_to(value, size) for key, value in self.enhancer.loss_outputs().items()}
        ctx = LossContext(low=padded, retinex=retinex, prior_features=prior, image_prior=self.image_prior,
                          text_prior=self.text_prior, decomposer=self.decomposer, enhancer_outputs=extras)
        return crop_to(out, size), ctx

    def parse_losses(self, losses: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        """mmengine's sum of the terms, refusing NaN/Inf before the optimiser step can spoil the weights."""
        bad = [name for name, value in losses.items() if not torch.isfinite(value.detach()).all()]
        if bad:
            from mmengine.logging import MessageHub

            hub = MessageHub.get_current_instance()
            iteration = hub.get_info("iter") if hub is not None else None
            values = ", ".join(f"{n}={float(losses[n].detach().float().mean())}" for n in bad)
            raise NonFiniteLossError(f"non-finite loss at iteration {iteration}: {values}; training stopped, the last "
                                     "saved checkpoint is kept (lower the learning rate or check the data)")
        return super().parse_losses(losses)

    def _per_image_extras(self) -> dict[str, list[float]]:
        """The enhancer's per-image diagnostics of the last forward, as plain floats."""
        diagnostics = getattr(self.enhancer, "diagnostics", None)
        found = diagnostics() if callable(diagnostics) else {}
        return {key: value.detach().float().cpu().tolist() for key, value in found.items()}

    # ---- mmengine entry point --------------------------------------------------------------------------------
    def forward(self, inputs: Tensor, data_samples: dict | None = None, mode: str = "tensor") -> Any:
        names = list(data_samples["name"]) if data_samples and "name" in data_samples else None
        out, ctx = self.enhance(inputs, names, data_samples)
        if mode == "tensor":
            return out
        if mode == "predict":
            samples = self._predictions(out, data_samples, names)
            for key, values in self._per_image_extras().items():
                for sample, value in zip(samples, values):
                    sample.setdefault("extras", {})[key] = value
            return samples
        if data_samples is None or "gt" not in data_samples:
            raise ValueError(f"mode '{mode}' needs data_samples with a 'gt' tensor")
        gt = data_samples["gt"]
        if mode == "loss":
            if not self.losses:
                raise ConfigError("model.losses is empty: configure at least one loss (e.g. {type: PixelLoss})")
            ctx.low = inputs  # losses compare at the unpadded size
            if ctx.retinex is not None:
                ctx.retinex = Retinex(crop_to(ctx.retinex.reflectance, inputs.shape[-2:]),
                                      crop_to(ctx.retinex.illumination, inputs.shape[-2:]))
            ctx.enhance = self._enhance_uncached
            active = [loss for loss in self.losses if self.active_losses is None or loss.name in self.active_losses]
            if "source" in data_samples:
                return self._source_losses(active, out, gt, data_samples, ctx)
            return {f"loss_{loss.name}": loss(out, gt, ctx) for loss in self._unrouted(active)}
        raise ValueError(f"unknown mode '{mode}' (expected tensor, loss or predict)")

    def _enhance_uncached(self, low: Tensor) -> Tensor:
        return self.enhance(low, cached=False)[0]

    def _unrouted(self, active: list) -> list:
        """The losses of a batch without sources: those not restricted to named sources (warned about once)."""
        restricted = [loss.name for loss in active if self.loss_sources.get(loss.name) is not None]
        if restricted and not self._warned_unrouted:
            from mmengine.logging import print_log

            print_log(f"losses {restricted} are restricted to data sources (their 'sources' key), but the training "
                      f"data has none (use data.train.type: MixedSources): they are left out", logger="current",
                      level=logging.WARNING)
            self._warned_unrouted = True
        return [loss for loss in active if self.loss_sources.get(loss.name) is None]

    def _source_losses(self, active: list, out: Tensor, gt: Tensor, data_samples: dict,
                       ctx: LossContext) -> dict[str, Tensor]:
        """``loss_<name>_<source>``: each loss on each source's samples it applies to (see the class docstring)."""
        sources = [str(s) for s in data_samples["source"]]
        named = {s for allowed in self.loss_sources.values() if allowed for s in allowed}
        if named - set(sources):  # every batch holds every source, so a name missing here is a typo
            raise ConfigError(f"model.losses: sources {sorted(named - set(sources))} are not among the training "
                              f"data's sources {sorted(set(sources))} (data.train.sources)")
        has_target = torch.as_tensor(data_samples["has_target"], dtype=torch.bool, device=out.device)
        terms: dict[str, Tensor] = {}
        for source in dict.fromkeys(sources):  # batch order: the config's source order
            in_source = torch.tensor([s == source for s in sources], dtype=torch.bool, device=out.device)
            for loss in active:
                allowed = self.loss_sources.get(loss.name)
                if allowed is not None and source not in allowed:
                    continue
                index = (in_source & has_target if loss.needs_target else in_source).nonzero().squeeze(1)
                if index.numel():
                    terms[f"loss_{loss.name}_{source}"] = loss(out.index_select(0, index), gt.index_select(0, index),
                                                               ctx.select(index))
        return terms

    @staticmethod
    def _predictions(out: Tensor, data_samples: dict | None, names: list[str] | None) -> list[dict[str, Any]]:
        """One ``{'pred', 'name'}`` per image, with its ``gt`` when the batch has ground truth (unpaired sets have
        none: no-reference metrics score ``pred`` alone)."""
        out = out.clamp(0.0, 1.0)
        gt = data_samples.get("gt") if data_samples else None
        return [{"pred": out[i].detach(), **({"gt": gt[i]} if gt is not None else {}),
                 "name": names[i] if names else str(i)} for i in range(out.shape[0])]
