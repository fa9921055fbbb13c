"""Prior-feature cache: frozen image priors run once per full image, shared across sweep cells and epochs.

* :class:`PriorCache` — the model's ``prior_feature_fn``: disk entries keyed by (prior identity + weights hash,
  input content hash incl. size), an in-memory LRU in front, training crops cut out of full-image features.
* :class:`PriorCacheHook` / :func:`hook_from_config` — switch it on for an mmengine run from ``prior_cache:``.
* :func:`install` — the same outside a runner.
* :mod:`llie.cache.bench` — cached vs uncached sweep benchmark.
"""
from .hook import PriorCacheHook, cacheable_prior, hook_from_config, install
from .prior_cache import CacheStats, PriorCache, iter_full_images
from .store import CachedFeatures, DiskStore, MemoryLRU

__all__ = ["CacheStats", "CachedFeatures", "DiskStore", "MemoryLRU", "PriorCache", "PriorCacheHook",
           "cacheable_prior", "hook_from_config", "install", "iter_full_images"]
