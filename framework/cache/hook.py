"""Switching the prior-feature cache on for an mmengine run, from the ``prior_cache`` config key.

Config::

    prior_cache:                 # null / absent / false: off
      root: work_dirs/prior_cache  # shared by every run that should share features (required)
      max_gb: 2.0                # bound on the folder's size; least recently used entries are evicted beyond it
      mode: exact                # training crops computed per crop; window: cut from full-image features (opt-in)
      dtype: float32             # stored exactly; float16: rounded (opt-in)
      memory_mb: 256             # in-process LRU in front of the disk

With the defaults the model sees exactly what it would see without the cache; ``mode: window`` and ``dtype:
float16`` change its inputs and so count in a sweep cell's identity (:mod:`llie.cache.settings`).

The hook attaches a :class:`PriorCache` to the model's ``prior_feature_fn`` for the run, fills it with the training
set's full images before training (window mode), marks whether the model is training or evaluating (so random
crops of unknown origin are never stored), and detaches at the end. It does nothing for models without an image
prior, with a trainable prior (its features change as it learns), or with an empty one (``NoPrior``).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mmengine.hooks import Hook

from ..errors import ConfigError
from .prior_cache import PriorCache
from .settings import CONFIG_KEY, DEFAULT_DTYPE, DEFAULT_MODE, OPTIONS
from .text import TextEmbeddingStore

log = logging.getLogger(__name__)


def _unwrap(model: Any) -> Any:
    return getattr(model, "module", model)


def cacheable_prior(model: Any) -> Any:
    """The model's image prior when caching its features is sound, else None (with the reason logged)."""
    prior = getattr(model, "image_prior", None)
    if prior is None or not hasattr(model, "prior_feature_fn"):
        return None
    if not getattr(prior, "frozen", False):
        log.warning("prior cache: %s is trainable, so its features change during training; cache not used",
                    type(prior).__name__)
        return None
    if not getattr(prior, "enabled", True) or not tuple(getattr(prior, "strides", ()) or ()):
        return None  # the no-prior placeholder: nothing to cache
    return prior


class PriorCacheHook(Hook):
    """mmengine hook that serves a model's frozen-prior features from a :class:`PriorCache`.

    Arguments as in the module docstring; ``cache`` shares an existing cache object (and its statistics).
    """

    priority = "VERY_HIGH"  # fill the cache before other hooks start timing iterations

    def __init__(self, root: str | Path | None = None, max_gb: float = 2.0, mode: str = DEFAULT_MODE,
                 dtype: str = DEFAULT_DTYPE, memory_mb: float = 256.0, precompute_batch: int = 4,
                 cache: PriorCache | None = None) -> None:
        self.cache = cache if cache is not None else PriorCache(root, max_gb=max_gb, mode=mode, dtype=dtype,
                                                                memory_mb=memory_mb,
                                                                precompute_batch=precompute_batch)
        self.active = False

    @property
    def stats(self) -> dict[str, int]:
        return self.cache.stats.as_dict()

    def _attach_text_prior(self, model: Any) -> None:
        text_prior = getattr(model, "text_prior", None)
        frozen = text_prior is not None and not any(p.requires_grad for p in text_prior.parameters())
        if frozen and getattr(text_prior, "enabled", True) and self.cache.root is not None:
            text_prior.embedding_store = TextEmbeddingStore(self.cache.root, text_prior)

    def _attach(self, runner: Any) -> bool:
        model = _unwrap(runner.model)
        self._attach_text_prior(model)
        prior = cacheable_prior(model)
        if prior is None:
            return False
        self.cache.bind(prior, pad_multiple=getattr(model, "pad_multiple", 1))  # after resume: current weights
        model.prior_feature_fn = self.cache
        self.active = True
        return True

    def before_train(self, runner: Any) -> None:
        if not self._attach(runner):
            return
        dataset = getattr(runner.train_dataloader, "dataset", None)
        if dataset is not None and self.cache.mode == "window":
            try:
                self.cache.prepare(_unwrap(runner.model).image_prior, [dataset])
            except ConfigError as exc:  # a dataset that cannot list its images: crops are computed per crop
                log.warning("%s", exc)
        self.cache.phase = "train"

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.cache.phase = "train"

    def before_val_epoch(self, runner: Any) -> None:
        if not self.active:
            self._attach(runner)
        self.cache.phase = "eval"

    def before_test_epoch(self, runner: Any) -> None:
        self._attach(runner)
        self.cache.phase = "eval"

    def after_run(self, runner: Any) -> None:
        model = _unwrap(runner.model)
        if getattr(model, "prior_feature_fn", None) is self.cache:
            model.prior_feature_fn = None
        if getattr(model, "text_prior", None) is not None:
            model.text_prior.embedding_store = None
        if self.active:
            log.info("prior cache stats: %s", self.stats)
        self.active = False


def hook_from_config(cfg: Any, default_root: str | Path | None = None) -> PriorCacheHook | None:
    """The hook for ``cfg.prior_cache`` (a mapping of the options above), or None when it is null/absent/false.

    ``prior_cache: true`` uses the defaults with ``default_root`` (a ConfigError when that is not given).
    """
    value = cfg.get(CONFIG_KEY) if hasattr(cfg, "get") else None
    if value is None or value is False:
        return None
    if value is True:
        if default_root is None:
            raise ConfigError(f"{CONFIG_KEY}: true needs a folder; write {CONFIG_KEY}: {{root: DIR}}")
        value = {"root": str(default_root)}
    options = dict(value)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{CONFIG_KEY}: unknown option(s) {unknown}; known: {list(OPTIONS)}")
    if options.get("root") is None:
        if default_root is None:
            raise ConfigError(f"{CONFIG_KEY}.root is not set: name the folder the cached features go to")
        options["root"] = str(default_root)
    return PriorCacheHook(**options)


def install(model: Any, cfg: Any, datasets: Iterable[Any] = ()) -> PriorCache | None:
    """Attach a cache built from ``cfg.prior_cache`` to ``model`` outside a runner (e.g. ``llie enhance``) and
    fill it with ``datasets``' full images; returns the cache, or None when caching is off or not applicable.

    The cache starts in the evaluation phase (every whole input is cached); set ``cache.phase = 'train'`` while
    training on random crops.
    """
    hook = hook_from_config(cfg)
    model = _unwrap(model)
    prior = cacheable_prior(model) if hook is not None else None
    if hook is None or prior is None:
        return None
    cache = hook.cache.bind(prior, pad_multiple=getattr(model, "pad_multiple", 1))
    model.prior_feature_fn = cache
    datasets = list(datasets)
    if datasets:
        cache.prepare(prior, datasets)
    return cache
