"""Prior-feature cache: frozen image priors run once per full image, shared across sweep cells and epochs.

* :class:`PriorCache` — the model's ``prior_feature_fn``: disk entries keyed by (prior identity + weights hash,
  input content hash incl. size), an in-memory LRU in front; training crops computed per crop (``mode: exact``,
  the default) or cut out of full-image features (``mode: window``, opt-in: it changes the features).
* :class:`PriorCacheHook` / :func:`hook_from_config` — switch it on for an mmengine run from ``prior_cache:``.
* :func:`install` — the same outside a runner.
* :mod:`llie.cache.settings` — which settings change results (cell identity, the ``prior_cache_mode`` column).
* :mod:`llie.cache.bench` — cached vs uncached sweep benchmark.

The names are imported on first use, so the sweep planner can read :mod:`llie.cache.settings` without torch.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CacheStats": ".prior_cache", "PriorCache": ".prior_cache", "iter_full_images": ".prior_cache",
    "CachedFeatures": ".store", "DiskStore": ".store", "MemoryLRU": ".store",
    "PriorCacheHook": ".hook", "cacheable_prior": ".hook", "hook_from_config": ".hook", "install": ".hook",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
