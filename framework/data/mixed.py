"""Training on several sources at once — paired (synthetic or real) and unpaired real images — with a fixed share of
each source in every batch.

A config names each source, its share of a batch and its dataset::

    data:
      batch_size: 8
      train:
        type: MixedSources
        sources:
          synthetic: {share: 0.5, dataset: {type: SyntheticPairs, source: sample:clean, crop_size: 96, augment: true}}
          real: {share: 0.5, dataset: {type: UnpairedFolder, root: sample:lol_train_low, crop_size: 96, augment: true}}

Three pieces make it work with mmengine's Runner (the engine wires them in when ``data.train`` is a
:class:`MixedSources`, see :func:`llie.engine.builders.train_loader_cfg`):

* :class:`MixedSources` — the sources concatenated into one index space; every item says which ``source`` it came
  from;
* :class:`MixedBatchSampler` — each batch holds ``round(share × batch_size)`` items of each source (sources in config
  order), drawn from an endless per-source shuffle seeded by the run's seed, so batches repeat exactly under a fixed
  seed, with any ``num_workers``, and after a resume (mmengine replays the batches already trained);
* :func:`collate_mixed` — fills a missing ``gt`` with zeros and adds per-sample ``has_target`` (bool) so that unpaired
  and paired items stack into one batch; the model applies each loss only to the samples that provide what it needs
  (see :meth:`llie.engine.model.SemanticPriorModel.forward`).

Images of all sources are stacked into one tensor, so every source must give images of one size: each needs the same
``crop_size``.
"""
from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import ConfigError, DataError

_SOURCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
#: keys every source entry may have
SOURCE_KEYS = ("share", "dataset")


def source_datasets(train_section: dict) -> list[dict]:
    """The dataset configs a ``data.train`` section trains on: each source's of a MixedSources, else the section
    itself (what coarse-to-fine stages set ``crop_size`` on)."""
    if train_section.get("type") == "MixedSources" and isinstance(train_section.get("sources"), dict):
        return [entry["dataset"] for entry in train_section["sources"].values()
                if isinstance(entry, dict) and isinstance(entry.get("dataset"), dict)]
    return [train_section]


class MixedSources(Dataset):
    """Named sources, each a dataset with a share of every batch; one index space over all of them.

    sources: ``{name: {share: float in (0, 1], dataset: <dataset config or built dataset>}}`` in batch order. Names
    are letters and digits (they become loss keys ``loss_<name>_<source>``). Items are the sources' own, with
    ``data_samples['source'] = name`` added; unpaired items keep having no ``gt`` (:func:`collate_mixed` fills it).
    """

    def __init__(self, sources: dict[str, dict]) -> None:
        super().__init__()
        if not isinstance(sources, dict) or not sources:
            raise ConfigError("MixedSources: 'sources' must be a mapping of source names to {share, dataset}")
        self.names: list[str] = []
        self.shares: list[float] = []
        self.datasets: list[Any] = []
        for name, entry in sources.items():
            self._add(str(name), entry)
        self.offsets = [0, *itertools.accumulate(len(d) for d in self.datasets)]
        self._check_sizes()

    def _add(self, name: str, entry: Any) -> None:
        from ..registry import build

        where = f"MixedSources.sources.{name}"
        if not _SOURCE_NAME.match(name):
            raise ConfigError(f"{where}: a source name must be letters and digits, starting with a letter "
                              f"(it becomes part of the loss keys)")
        if not isinstance(entry, dict) or "dataset" not in entry or "share" not in entry:
            raise ConfigError(f"{where} must be a mapping with 'share' and 'dataset', got {entry!r}")
        unknown = [k for k in entry if k not in SOURCE_KEYS]
        if unknown:
            raise ConfigError(f"{where}: unknown key '{unknown[0]}'; a source has {', '.join(SOURCE_KEYS)}")
        share = entry["share"]
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 < share <= 1.0:
            raise ConfigError(f"{where}.share must be a number in (0, 1], got {share!r}")
        dataset = entry["dataset"]
        dataset = build("datasets", dataset) if isinstance(dataset, (dict, str)) else dataset
        if len(dataset) == 0:
            raise DataError(f"{where}: the dataset is empty")
        self.names.append(name)
        self.shares.append(float(share))
        self.datasets.append(dataset)

    def _check_sizes(self) -> None:
        crops = {name: getattr(ds, "crop_size", None) for name, ds in zip(self.names, self.datasets)}
        if None in crops.values() or len(set(crops.values())) > 1:
            raise ConfigError("MixedSources: every source needs the same crop_size (a batch stacks images of one "
                              "size); got " + ", ".join(f"{n}: {c}" for n, c in crops.items()))

    def batch_counts(self, batch_size: int) -> list[int]:
        """Items of each source per batch: ``round(share × batch_size)``; they must add up to ``batch_size`` and
        give every source at least one item."""
        counts = [int(round(share * batch_size)) for share in self.shares]
        if sum(counts) != batch_size or min(counts) < 1:
            given = ", ".join(f"{n}: {s} → {c}" for n, s, c in zip(self.names, self.shares, counts))
            raise ConfigError(f"MixedSources: the shares must split data.batch_size {batch_size} into whole items, "
                              f"at least one per source; got {given} (sum {sum(counts)})")
        return counts

    def has_ground_truth_of(self, name: str) -> bool:
        return getattr(self.datasets[self.names.index(name)], "has_ground_truth", True)

    def locate(self, index: int) -> tuple[int, int]:
        """``(source position, index inside that source)`` of a global index."""
        if not 0 <= index < len(self):
            raise IndexError(f"MixedSources: index {index} out of range for {len(self)} items")
        position = bisect.bisect_right(self.offsets, index) - 1
        return position, index - self.offsets[position]

    def __len__(self) -> int:
        return self.offsets[-1]

    def __getitem__(self, index: int) -> dict[str, Any]:
        position, local = self.locate(index if index >= 0 else index + len(self))
        item = self.datasets[position][local]
        return {**item, "data_samples": {**item["data_samples"], "source": self.names[position]}}

    def full_low_images(self) -> Iterator[tuple[str, torch.Tensor]]:
        """Every source's full low-light images once (what a prior-feature cache precomputes)."""
        for dataset in self.datasets:
            yield from dataset.full_low_images()

    @property
    def metainfo(self) -> dict[str, Any]:
        return {"dataset": "MixedSources",
                "sources": {n: {"share": s, **getattr(d, "metainfo", {})}
                            for n, s, d in zip(self.names, self.shares, self.datasets)}}

    def __repr__(self) -> str:
        return "MixedSources(" + ", ".join(f"{n}={s}: {d!r}" for n, s, d in
                                           zip(self.names, self.shares, self.datasets)) + ")"


class MixedBatchSampler:
    """Endless batches of global indices into a :class:`MixedSources`, ``round(share × batch_size)`` per source.

    Each source draws from its own endless stream of shuffled passes (a new permutation per pass) seeded by
    ``(seed, source position)``; a batch is the next items of each stream, sources in config order. mmengine builds
    it with the run's sampler (``InfiniteSampler``, whose ``dataset`` and ``seed`` it reads) and ``batch_size``. Under
    distributed training each rank takes every ``world_size``-th batch.
    """

    def __init__(self, sampler: Any, batch_size: int, shuffle: bool = True, seed: int | None = None) -> None:
        dataset = getattr(sampler, "dataset", sampler)
        if not isinstance(dataset, MixedSources):
            raise ConfigError(f"MixedBatchSampler needs a MixedSources dataset, got {type(dataset).__name__}")
        self.sampler = sampler  # mmengine's seed hook looks for it (an InfiniteSampler ignores set_epoch)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.counts = dataset.batch_counts(self.batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed if seed is not None else getattr(sampler, "seed", 0) or 0) & 0xFFFF_FFFF

    def _stream(self, position: int) -> Iterator[int]:
        size = len(self.dataset.datasets[position])
        rng = np.random.default_rng([self.seed, position])
        while True:
            yield from (rng.permutation(size) if self.shuffle else range(size))

    def _batches(self) -> Iterator[list[int]]:
        streams = [self._stream(p) for p in range(len(self.counts))]
        while True:
            yield [self.dataset.offsets[p] + int(i)
                   for p, count in enumerate(self.counts) for i in itertools.islice(streams[p], count)]

    def __iter__(self) -> Iterator[list[int]]:
        from mmengine.dist import get_dist_info

        rank, world_size = get_dist_info()
        return itertools.islice(self._batches(), rank, None, world_size)

    def __len__(self) -> int:
        """Batches in one pass over the source that takes longest to go through."""
        return max(math.ceil(len(d) / c) for d, c in zip(self.dataset.datasets, self.counts))


def collate_mixed(batch: Sequence[dict]) -> dict:
    """mmengine's ``default_collate`` after making the items alike: a missing ``gt`` becomes zeros shaped like the
    input, ``has_target`` says which samples had one, and a text field one source lacks (e.g. ``high_path``) is ''."""
    from mmengine.dataset import default_collate

    keys: dict[str, Any] = {}
    for item in batch:
        for key, value in item["data_samples"].items():
            keys.setdefault(key, value)
    order = [*keys, *(k for k in ("gt", "has_target") if k not in keys)]
    items = []
    for item in batch:
        samples = dict(item["data_samples"])
        samples["has_target"] = "gt" in samples
        if "gt" not in samples:
            samples["gt"] = torch.zeros_like(item["inputs"])
        for key, example in keys.items():
            if key not in samples:
                if not isinstance(example, str):
                    raise DataError(f"MixedSources: items of source '{samples.get('source')}' lack the field "
                                    f"'{key}' that other sources give; it cannot be filled in")
                samples[key] = ""
        items.append({**item, "data_samples": {k: samples[k] for k in order}})
    return default_collate(items)
