"""Framework overhead of one training iteration: the mmengine Runner's iteration vs. a bare hand-written torch step.

The Runner is built exactly as ``llie train`` builds it (:func:`llie.engine.runner.build_train_runner`) and
started with ``runner.train()``, so every setup step (optimiser wrapper, schedulers, hooks' ``before_run`` /
``before_train``) happens as in training. A lowest-priority hook then takes over at ``before_train_epoch`` and times,
interleaved on one data batch, on the same model and optimiser:

- ``runner``: ``model.train()`` + ``train_loop.run_iter(batch)`` — the loop body of mmengine's
  ``IterBasedTrainLoop``: every hook's ``before/after_train_iter`` (timer, logger, scheduler, checkpoint, progress),
  data preprocessing, ``model.train_step`` with the optimiser wrapper (loss parsing, backward, step, zero_grad);
- ``train_step``: ``model.train_step(batch, optim_wrapper)`` alone (mmengine's step without the hooks);
- ``bare``: ``zero_grad``, forward in loss mode on the already-preprocessed batch, sum of the loss terms, backward,
  ``step`` (with the wrapper's autocast dtype, gradient clipping and accumulation mirrored, when configured).

Data loading is excluded from all three (see :mod:`llie.bench.data_speed`); the loader runs with no workers so
that background processes do not disturb the timings. The run then stops before any validation or checkpoint.
"""
from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from ..config import apply_overrides, to_plain, validate
from ..data.mixed import source_datasets
from .timing import Timing, time_interleaved

NEVER = 10**9  # an interval that is never reached during the benchmark


@dataclass
class TrainStepResult:
    config: str
    timings: dict[str, Timing]
    batch_size: int
    crop: tuple[int, int]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def overhead(self) -> float:
        """Runner iteration median / bare step median."""
        return self.timings["runner"].median / self.timings["bare"].median

    def as_dict(self) -> dict:
        return {"config": self.config, "batch_size": self.batch_size, "crop": list(self.crop),
                "overhead_ratio": self.overhead,
                "train_step_ratio": self.timings["train_step"].median / self.timings["bare"].median,
                **{f"{name}_{k}": v for name, t in self.timings.items() for k, v in t.as_dict().items()},
                "options": self.options}


def benchmark_config(cfg: Config, batch: int | None = None, crop: int | None = None) -> Config:
    """``cfg`` with intervals that never fire, no loader workers, and the requested batch size / crop."""
    plain = to_plain(cfg._cfg_dict)
    overrides = [f"train.max_iters={NEVER}", f"+train.val_interval={NEVER}", f"+train.checkpoint_interval={NEVER}",
                 "+data.num_workers=0", "+data.persistent_workers=false"]
    if batch:
        overrides.append(f"+data.batch_size={int(batch)}")
    plain = apply_overrides(plain, overrides, str(cfg.filename))
    if crop:  # every source's crop, for a MixedSources
        for dataset in source_datasets(plain["data"]["train"]):
            dataset["crop_size"] = int(crop)
    validate(plain, str(cfg.filename))
    return Config(plain, filename=cfg.filename)


class BareStep:
    """A hand-written training step on the runner's model, optimiser and (preprocessed) batch."""

    def __init__(self, model: Any, optim_wrapper: Any, data: dict) -> None:
        self.model = model
        self.optimizer = optim_wrapper.optimizer
        self.data = data
        self.accumulate = int(getattr(optim_wrapper, "_accumulative_counts", 1) or 1)
        dtype = getattr(optim_wrapper, "cast_dtype", None)
        device_type = getattr(optim_wrapper, "device_type", None) or data["inputs"].device.type
        amp = dtype is not None or hasattr(optim_wrapper, "loss_scaler")  # mmengine's AmpOptimWrapper
        self.autocast = (lambda: torch.autocast(device_type=device_type, dtype=dtype)) if amp \
            else contextlib.nullcontext
        self.clip = getattr(optim_wrapper, "clip_func", None) if getattr(optim_wrapper, "clip_grad_kwargs", None) \
            else None
        self.clip_kwargs = dict(getattr(optim_wrapper, "clip_grad_kwargs", None) or {})
        self.params = [p for g in self.optimizer.param_groups for p in g["params"]]
        self.count = 0

    def __call__(self) -> None:
        if self.count % self.accumulate == 0:
            self.optimizer.zero_grad()
        with self.autocast():
            losses = self.model(self.data["inputs"], self.data["data_samples"], mode="loss")
            loss = sum(losses.values())
        (loss / self.accumulate).backward()
        self.count += 1
        if self.count % self.accumulate == 0:
            if self.clip is not None:
                self.clip(self.params, **self.clip_kwargs)
            self.optimizer.step()


class StepBenchmarkHook(Hook):
    """Runs the interleaved timings once the Runner has finished its setup, then stops the run."""

    priority = "LOWEST"

    def __init__(self, runs: int, warmup: int) -> None:
        self.runs, self.warmup = runs, warmup
        self.timings: dict[str, Timing] | None = None
        self.batch_size = 0
        self.crop: tuple[int, int] = (0, 0)

    def before_train_epoch(self, runner: Any) -> None:
        loop = runner.train_loop
        batch = next(loop.dataloader_iterator)
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        wrapper = runner.optim_wrapper
        data = model.data_preprocessor(batch, True)
        self.batch_size = int(data["inputs"].shape[0])
        self.crop = tuple(int(v) for v in data["inputs"].shape[-2:])
        bare = BareStep(model, wrapper, data)

        def runner_iteration() -> None:
            runner.model.train()
            loop.run_iter(batch)

        def train_step() -> None:
            runner.model.train_step(batch, optim_wrapper=wrapper)

        self.timings = time_interleaved({"runner": runner_iteration, "train_step": train_step, "bare": bare},
                                        runs=self.runs, warmup=self.warmup)
        loop.stop_training = True
        loop._iter = 0  # else the loop would fast-forward the data loader past the iterations run here


def measure_train_step(cfg: Config, runs: int = 20, warmup: int = 3, batch: int | None = None,
                       crop: int | None = None, work_dir: str | Path | None = None) -> TrainStepResult:
    """Time the three variants of one training iteration for ``cfg`` (see the module docstring)."""
    from ..engine.perf import enabled_options
    from ..engine.runner import build_train_runner

    cfg = benchmark_config(cfg, batch, crop)
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            work_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="llie-bench-"))
        runner = build_train_runner(cfg, work_dir, resume=False, progress=False)
        hook = StepBenchmarkHook(runs, warmup)
        runner.register_hook(hook, priority="LOWEST")
        runner.train()
    assert hook.timings is not None, "the benchmark hook did not run"
    options = enabled_options(to_plain(cfg.get("train") or {}), to_plain(cfg.get("data") or {}))
    options["optim_wrapper"] = type(runner.optim_wrapper).__name__
    return TrainStepResult(str(cfg.filename), hook.timings, hook.batch_size, hook.crop, options)
