"""The prior-feature cache: a frozen image prior runs once per full image, shared by every cell and epoch.

A :class:`PriorCache` is the model's ``prior_feature_fn`` (see ``SemanticPriorModel.prior_features``). Per batch item:

* an **uncropped, unaugmented input** (evaluation, or full-image training) is keyed by its own content hash: served
  from the cache, or computed, stored and served (the stored copy, so a warm and a cold run see the same numbers);
* ``mode: exact`` (default) computes every **training crop** with the prior (nothing stored for crops): the enhancer
  sees exactly what it would see without the cache;
* ``mode: window`` (opt-in) cuts a training crop out of its full image's entry (:mod:`llie.cache.windows`) — an
  approximation that changes the features (50–70 % relative L2 at arbitrary crop offsets); the full images are
  computed before training by :meth:`PriorCache.prepare`, which reads each once from the training dataset
  (``full_low_images()``). A crop whose full image is unknown or was evicted, or whose input is padded beyond the
  crop, falls back to the exact computation.

Values are stored in ``float32`` by default (exactly). ``dtype: float16`` (opt-in) halves disk and memory: features
then differ from the prior's by the float16 rounding (relative error ≤ 2⁻¹¹ for values above 6·10⁻⁵ in magnitude,
absolute error ≤ 6·10⁻⁸ below; a map with values beyond ±65504 is kept in float32). Whether a batch item was computed
just now or read back, the enhancer sees the stored copy, so cold and warm runs train on identical numbers. Settings
that change the features count in a sweep cell's identity (:mod:`llie.cache.settings`).

Counting: :class:`CacheStats` counts the prior calls the cache makes (``forwards``, ``forward_images``), entries
found (``hits``, memory/disk) and computed (``misses``), crops served as windows and items computed exactly.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..engine.padding import pad_to_multiple
from ..errors import ConfigError
from ..interfaces import PriorFeatures
from .keys import content_hash, prior_key
from .settings import DEFAULT_DTYPE, DEFAULT_MODE, result_settings
from .store import CachedFeatures, DiskStore, MemoryLRU
from .windows import ItemSource, batch_sources, crop_features, follows_ceil_layout, window_fits

log = logging.getLogger(__name__)

TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16}
PHASES = ("train", "eval")


@dataclass
class CacheStats:
    """What the cache did; ``forwards`` / ``forward_images`` count prior calls it made (and images in them)."""

    forwards: int = 0
    forward_images: int = 0
    hits: int = 0  # entries found: memory_hits + disk_hits
    memory_hits: int = 0
    disk_hits: int = 0
    misses: int = 0  # entries computed and stored
    windows: int = 0  # training crops served from their full image's entry
    exact: int = 0  # items computed by the prior and not stored (exact mode, unknown origin, fallbacks)
    precomputed: int = 0  # full training images computed before training
    bytes_written: int = 0
    bytes_read: int = 0
    evicted: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def iter_full_images(dataset: Any) -> Iterator[tuple[str, Tensor]]:
    """``(source_key, 3×H×W)`` of every full low-light image of ``dataset``, looking through common wrappers
    (``ConcatDataset.datasets``, ``Subset`` / mmengine wrappers' ``.dataset``)."""
    if hasattr(dataset, "full_low_images"):
        yield from dataset.full_low_images()
    elif hasattr(dataset, "datasets"):
        for part in dataset.datasets:
            yield from iter_full_images(part)
    elif hasattr(dataset, "dataset"):
        yield from iter_full_images(dataset.dataset)
    else:
        raise ConfigError(f"prior_cache: dataset {type(dataset).__name__} cannot list its full low-light images "
                          f"(no full_low_images()); use prior_cache.mode: exact or derive it from PairedImageDataset")


def _split(features: PriorFeatures, size: tuple[int, int]) -> list[CachedFeatures]:
    batch = features.levels[0][1].shape[0] if features.levels else features.logits.shape[0]
    return [CachedFeatures(size, [(s, t[i].detach()) for s, t in features.levels],
                           None if features.logits is None else features.logits[i].detach(), features.logits_stride)
            for i in range(batch)]


def _assemble(items: list[CachedFeatures], device: torch.device, dtype: torch.dtype) -> PriorFeatures:
    def stack(tensors: list[Tensor]) -> Tensor:
        return torch.stack([t.to(device=device, dtype=dtype) for t in tensors])

    first = items[0]
    levels = [(s, stack([item.levels[k][1] for item in items])) for k, (s, _) in enumerate(first.levels)]
    logits = None if first.logits is None else stack([item.logits for item in items])
    return PriorFeatures(levels=levels, logits=logits, logits_stride=first.logits_stride)


#: the largest finite float16 value; maps beyond it are stored in float32 rather than saturating
FLOAT16_MAX = 65504.0


def _round(entry: CachedFeatures, dtype: torch.dtype) -> CachedFeatures:
    def cast(t: Tensor) -> Tensor:
        t = t.detach().to("cpu")
        if dtype == torch.float16 and t.numel() and float(t.abs().max()) > FLOAT16_MAX:
            return t.to(torch.float32).contiguous()
        return t.to(dtype).contiguous()

    return CachedFeatures(entry.size, [(s, cast(t)) for s, t in entry.levels],
                          None if entry.logits is None else cast(entry.logits), entry.logits_stride)


class PriorCache:
    """Disk + memory cache of a frozen image prior's features; call it as ``fn(prior, low, data_samples)``.

    root: folder shared by every run that should share features (e.g. one per sweep, or one per machine).
    max_gb: bound on the total size of ``root`` (all priors); least recently used entries are evicted beyond it.
    mode: ``'exact'`` (default: training crops computed by the prior) or ``'window'`` (cut from cached full-image
        features; opt-in, it changes the features).
    dtype: storage dtype, ``'float32'`` (default, exact) or ``'float16'`` (opt-in, rounded).
    memory_mb: bound of the in-process LRU in front of the disk.
    precompute_batch: full images per prior call while filling the cache before training.
    """

    def __init__(self, root: str | Path, max_gb: float = 2.0, mode: str = DEFAULT_MODE, dtype: str = DEFAULT_DTYPE,
                 memory_mb: float = 256.0, precompute_batch: int = 4) -> None:
        result_settings({"mode": mode, "dtype": dtype})  # one line naming the key for an unknown mode or dtype
        if isinstance(max_gb, bool) or not isinstance(max_gb, (int, float)) or max_gb <= 0:
            raise ConfigError(f"prior_cache.max_gb must be a positive number of gigabytes, got {max_gb!r}")
        if root is None or str(root) == "":
            raise ConfigError("prior_cache.root is not set: name the folder the cached features go to")
        self.root = Path(root).expanduser()
        self.max_bytes = int(float(max_gb) * 1e9)
        self.mode = mode
        self.dtype_name = dtype
        self.dtype = TORCH_DTYPES[dtype]
        self.memory = MemoryLRU(int(float(memory_mb) * 1e6))
        self.precompute_batch = max(1, int(precompute_batch))
        self.pad_multiple = 1
        self.phase = "eval"  # the hook switches it; outside a runner every input is treated as an eval input
        self.stats = CacheStats()
        self.sources: dict[str, str | None] = {}  # source_key -> content key of its full image; None: ambiguous
        self.disk: DiskStore | None = None
        self.description = ""
        self._prior: nn.Module | None = None
        self._windows_ok = True
        self._write_failed = False

    # ---- binding ----------------------------------------------------------------------------------------------
    def bind(self, prior: nn.Module, pad_multiple: int | None = None) -> "PriorCache":
        """Point the cache at ``prior``'s folder (identity + hash of its current weights)."""
        folder, self.description = prior_key(prior, self.dtype)
        if self.disk is None or self.disk.folder.name != folder:
            self.disk = DiskStore(self.root, folder, self.max_bytes, self.description)
            self.memory = MemoryLRU(self.memory.max_bytes)
            self.sources.clear()
        if pad_multiple is not None:
            self.pad_multiple = max(1, int(pad_multiple))
        self._prior = prior
        return self

    @property
    def folder(self) -> Path | None:
        return None if self.disk is None else self.disk.folder

    # ---- the prior_feature_fn ---------------------------------------------------------------------------------
    def __call__(self, prior: nn.Module, low: Tensor, data_samples: Any = None) -> PriorFeatures:
        if prior is not self._prior or self.disk is None:
            self.bind(prior)
        batch, size = low.shape[0], (int(low.shape[-2]), int(low.shape[-1]))
        items: list[CachedFeatures | None] = [None] * batch
        to_compute: list[int] = []
        to_store: dict[int, str] = {}
        for i, source in enumerate(batch_sources(data_samples, batch)):
            if self._is_whole_input(source):
                key = content_hash(low[i])
                items[i] = self.lookup(key)
                if items[i] is None:
                    to_compute.append(i)
                    to_store[i] = key
                continue
            items[i] = self._window(source, size) if self.mode == "window" and source is not None else None
            if items[i] is None:
                to_compute.append(i)
                self.stats.exact += 1
            else:
                self.stats.windows += 1
        if to_compute:
            subset = low if len(to_compute) == batch else low[to_compute]
            for i, item in zip(to_compute, self._forward(prior, subset)):
                items[i] = self.store(to_store[i], item) if i in to_store else item
        return _assemble(items, low.device, low.dtype if low.is_floating_point() else torch.float32)

    def _is_whole_input(self, source: ItemSource | None) -> bool:
        """Whether an item is keyed by its own pixels. Items of unknown origin are when evaluating; when training
        they may be random crops, which would fill the disk with entries never read again, so they are computed."""
        if source is None:
            return self.phase == "eval"
        return source.is_full_image

    def _window(self, source: ItemSource, input_size: tuple[int, int]) -> CachedFeatures | None:
        if not self._windows_ok or source.output_size != input_size:  # padded beyond the crop: compute it
            return None
        key = self.sources.get(source.source_key)
        entry = None if key is None else self.lookup(key)
        if entry is None or not window_fits(entry, source):
            return None
        return crop_features(entry, source)

    def _forward(self, prior: nn.Module, x: Tensor) -> list[CachedFeatures]:
        with torch.no_grad():
            features = prior(x)
        self.stats.forwards += 1
        self.stats.forward_images += int(x.shape[0])
        return _split(features, (int(x.shape[-2]), int(x.shape[-1])))

    # ---- entries ----------------------------------------------------------------------------------------------
    def lookup(self, key: str) -> CachedFeatures | None:
        """The entry for content ``key`` from memory or disk (then kept in memory), or None."""
        entry = self.memory.get(key)
        if entry is not None:
            self.stats.hits += 1
            self.stats.memory_hits += 1
            return entry
        found = self.disk.read(key) if self.disk is not None else None
        if found is None:
            return None
        entry, size = found
        self.memory.put(key, entry)
        self.stats.hits += 1
        self.stats.disk_hits += 1
        self.stats.bytes_read += size
        return entry

    def store(self, key: str, features: CachedFeatures) -> CachedFeatures:
        """Round ``features`` to the storage dtype, write them, and return the stored copy."""
        entry = _round(features, self.dtype)
        if self._windows_ok and not follows_ceil_layout(entry):
            self._windows_ok = False
            log.warning("prior cache: the prior's maps are not ⌈H/stride⌉×⌈W/stride⌉ (%s), so training crops cannot "
                        "be cut from full-image features; they are computed per crop", self.description)
        self.memory.put(key, entry)
        self.stats.misses += 1
        before = self.disk.evicted
        try:
            self.stats.bytes_written += self.disk.write(key, entry)
        except OSError as exc:  # full or read-only disk: keep going on the in-memory copy
            if not self._write_failed:
                log.warning("prior cache: cannot write under %s (%s); features stay in memory only",
                            self.disk.folder, exc)
            self._write_failed = True
        self.stats.evicted += self.disk.evicted - before
        return entry

    def _register_source(self, source_key: str, key: str) -> None:
        known = self.sources.get(source_key, key)
        if known != key:
            log.warning("prior cache: two different images share the source key '%s'; their crops are computed "
                        "per crop", source_key)
            self.sources[source_key] = None
        elif source_key not in self.sources:
            self.sources[source_key] = key

    # ---- filling before training ------------------------------------------------------------------------------
    def prepare(self, prior: nn.Module, datasets: Iterable[Any]) -> dict[str, int]:
        """Make sure every full low-light image of ``datasets`` has an entry (window mode only); returns counts.

        Reads each image once, pads it as the model does, hashes it; computes the missing ones in batches of equal
        size. Already cached images cost a hash and a file-existence check.
        """
        if self.mode != "window":
            return {"images": 0, "computed": 0, "cached": 0}
        if prior is not self._prior or self.disk is None:
            self.bind(prior)
        device = next((t.device for t in list(prior.parameters()) + list(prior.buffers())), torch.device("cpu"))
        pending: dict[tuple[int, ...], list[tuple[str, Tensor]]] = defaultdict(list)
        counts = {"images": 0, "computed": 0, "cached": 0}
        started = time.perf_counter()

        def flush(shape: tuple[int, ...]) -> None:
            group = pending.pop(shape, [])
            if not group:
                return
            batch = torch.stack([image for _, image in group]).to(device)
            for (key, _), item in zip(group, self._forward(prior, batch)):
                self.store(key, item)
            counts["computed"] += len(group)
            self.stats.precomputed += len(group)

        for dataset in datasets:
            for source_key, image in iter_full_images(dataset):
                padded = pad_to_multiple(image[None], self.pad_multiple)[0][0]
                key = content_hash(padded)
                self._register_source(source_key, key)
                counts["images"] += 1
                if key in self.memory or self.disk.exists(key):
                    counts["cached"] += 1
                    continue
                if any(k == key for group in pending.values() for k, _ in group):
                    continue
                shape = tuple(padded.shape)
                pending[shape].append((key, padded))
                if len(pending[shape]) >= self.precompute_batch:
                    flush(shape)
        for shape in list(pending):
            flush(shape)
        log.info("prior cache: %d full training images (%d computed, %d already cached) in %.1f s under %s",
                 counts["images"], counts["computed"], counts["cached"], time.perf_counter() - started,
                 self.folder)
        return counts
