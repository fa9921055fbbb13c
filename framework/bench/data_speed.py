"""Does the data loader keep up with the model? Training-pipeline images/s vs. the model's training-step rate.

The pipeline is the config's train dataset (decode, paired crop, augmentation) in a torch ``DataLoader`` with the
configured (or given) workers, pinned memory and persistent workers, batch size and collate function as in
training. The first batch (worker start-up, first decodes) is timed separately; then ``iters`` batches are timed. The
model side is the Runner's training iteration from :mod:`llie.bench.train_step` on one batch of the same size.

On a CPU-only machine, loader workers and the model share the same cores during real training, so a loader that
only just keeps up here will starve the model there; on a GPU machine the two run in parallel.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mmengine.config import Config
from mmengine.dataset import InfiniteSampler, default_collate
from torch.utils.data import DataLoader

from ..config import to_plain
from ..data.mixed import MixedBatchSampler, MixedSources, collate_mixed
from ..engine.builders import build_dataset
from .timing import Timing, summarize


@dataclass
class DataSpeedResult:
    config: str
    workers: int
    batch_size: int
    first_batch_s: float
    batch_times: Timing
    model_step: Timing | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def loader_images_per_s(self) -> float:
        return self.batch_size / self.batch_times.median

    @property
    def model_images_per_s(self) -> float | None:
        return None if self.model_step is None else self.batch_size / self.model_step.median

    @property
    def headroom(self) -> float | None:
        """Loader rate / model rate: below 1 the model waits for data."""
        model = self.model_images_per_s
        return None if model is None else self.loader_images_per_s / model

    @property
    def verdict(self) -> str:
        h = self.headroom
        if h is None:
            return "model step not measured"
        if self.workers == 0:
            share = self.batch_times.median / self.model_step.median
            return (f"no workers: loading runs in series with the model and adds {share:.0%} to each step "
                    f"(with workers it would run alongside, {h:.1f}× the model's rate)")
        if h >= 1.0:
            return f"loader keeps up ({h:.1f}× the model's rate)"
        return f"loader starves the model (delivers {h:.2f}× the model's rate; add workers)"

    def as_dict(self) -> dict:
        return {"config": self.config, "workers": self.workers, "batch_size": self.batch_size,
                "first_batch_s": self.first_batch_s, "batch_median_s": self.batch_times.median,
                "batch_iqr_s": self.batch_times.iqr, "batches": self.batch_times.runs,
                "loader_images_per_s": self.loader_images_per_s,
                "model_step_median_s": None if self.model_step is None else self.model_step.median,
                "model_images_per_s": self.model_images_per_s, "headroom": self.headroom, "verdict": self.verdict,
                "options": self.options}


def train_loader(cfg: Config, workers: int | None = None) -> DataLoader:
    """A torch DataLoader with the training loader's settings (see :func:`llie.engine.builders.train_loader_cfg`;
    a MixedSources gets its batch sampler and collate)."""
    data = to_plain(cfg.get("data") or {})
    workers = int(data.get("num_workers", 0) if workers is None else workers)
    dataset = build_dataset(cfg, "train")
    batch_size = int(data.get("batch_size", 4))
    sampler = InfiniteSampler(dataset, shuffle=True, seed=int(cfg.get("seed", 0)))
    common = dict(num_workers=workers, pin_memory=bool(data.get("pin_memory", False)),
                  persistent_workers=bool(data.get("persistent_workers", False)) and workers > 0)
    if isinstance(dataset, MixedSources):
        return DataLoader(dataset, batch_sampler=MixedBatchSampler(sampler, batch_size), collate_fn=collate_mixed,
                          **common)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=default_collate, drop_last=False,
                      **common)


def time_loader(loader: DataLoader, iters: int) -> tuple[float, Timing]:
    """Seconds to the first batch (worker start-up included), then the per-batch times of the next ``iters``."""
    start = time.perf_counter()
    iterator = iter(loader)  # the sampler is infinite, as in training: no epoch restarts
    next(iterator)
    first = time.perf_counter() - start
    samples = []
    for _ in range(iters):
        start = time.perf_counter()
        next(iterator)
        samples.append(time.perf_counter() - start)
    return first, summarize(samples)


def measure_data_speed(cfg: Config, workers: int | None = None, iters: int = 20, step_runs: int = 5,
                       measure_model: bool = True) -> DataSpeedResult:
    from .train_step import measure_train_step

    loader = train_loader(cfg, workers)
    first, batches = time_loader(loader, iters)
    step = None
    if measure_model:
        step = measure_train_step(cfg, runs=step_runs, warmup=1).timings["runner"]
    options = {"pin_memory": loader.pin_memory, "persistent_workers": loader.persistent_workers}
    batch_size = loader.batch_size if loader.batch_size is not None else loader.batch_sampler.batch_size
    return DataSpeedResult(str(cfg.filename), loader.num_workers, int(batch_size), first, batches, step, options)
