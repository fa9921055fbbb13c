"""Training, validation and testing through mmengine's ``Runner`` (iteration-based loops, its hooks, its checkpoints)."""
from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ..cache import hook_from_config
from ..config.tracking import visualizer_cfg
from ..errors import ConfigError
from .builders import build_dataset, build_metric, build_model, eval_loader_cfg, section, train_loader_cfg
from .frozen_parts import FrozenPartsCheckpointHook
from .perf import apply_model_options, default_device_type, optim_wrapper_cfg, performance_hooks
from .progress import ProgressBarHook
from .safe_checkpoint import WeightsOnlySafeCheckpointHook


@dataclass
class EvalResult:
    """Metrics of one evaluation pass: means, the protocol they were measured under, and per-image values."""

    psnr: float
    ssim: float
    protocol: str
    gt_mean: bool
    per_image: list[dict] = field(default_factory=list)
    crop_border: int = 0
    y_channel: bool = False
    #: means of the extra paired metrics asked for (``eval.extra_metrics``, e.g. ``{'delta_e': 7.9}``)
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def n_images(self) -> int:
        return len(self.per_image)

    def as_dict(self) -> dict:
        return {"psnr": self.psnr, "ssim": self.ssim, **self.extras, "protocol": self.protocol,
                "gt_mean": self.gt_mean, "n_images": self.n_images, "per_image": self.per_image}


class _MMEngineNoise(logging.Filter):
    """Drops mmengine's notices about its own deprecated internals (FileClient), which users cannot act on."""

    NOISE = ('"FileClient" will be deprecated', '"HardDiskBackend" is the alias')

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(text in record.getMessage() for text in self.NOISE)


class LLIERunner(Runner):
    """mmengine's Runner with atomic checkpoint files: written under a temporary name, then renamed, so a process
    killed mid-write never leaves a truncated ``iter_N.pth`` behind (the previous checkpoint stays the last one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger.addFilter(_MMEngineNoise())

    def save_checkpoint(self, out_dir: str, filename: str, *args: Any, **kwargs: Any) -> None:
        tmp = f".{filename}.tmp"
        super().save_checkpoint(out_dir, tmp, *args, **kwargs)
        os.replace(os.path.join(out_dir, tmp), os.path.join(out_dir, filename))


def detect_launcher() -> str:
    """mmengine's launcher for how this process was started: 'pytorch' under torchrun (WORLD_SIZE > 1), 'slurm'
    under srun with several tasks, else 'none' (one process)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return "pytorch"
    if int(os.environ.get("SLURM_NTASKS", "1")) > 1 and "SLURM_PROCID" in os.environ:
        return "slurm"
    return "none"


def unique_name(kind: str) -> str:
    """mmengine keys its logger, visualizer and message hub by experiment name (+ a per-second timestamp); two runs
    in one process and one second would share them and mix their logged scalars."""
    return f"{kind}-{uuid.uuid4().hex[:8]}"


class MetricsRecorderHook(Hook):
    """Keeps the metrics of the latest validation pass, so callers need not parse logs."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def after_val_epoch(self, runner: Any, metrics: dict | None = None) -> None:
        self.last = dict(metrics or {})


def _hooks(cfg: Config, progress: bool) -> list:
    hooks = [FrozenPartsCheckpointHook(), WeightsOnlySafeCheckpointHook(), ProgressBarHook(enabled=progress),
             MetricsRecorderHook()]
    cache = hook_from_config(cfg, default_root=Path(str(cfg.get("work_dir") or "work_dirs")) / "prior_cache")
    if cache is not None:  # frozen-prior features computed once per image and shared across runs
        hooks.append(cache)
    return hooks


def _scheduler(train: dict) -> Any:
    sched = train.get("scheduler")
    if sched is None:
        return None
    scheds = sched if isinstance(sched, list) else [sched]
    out = []
    for s in scheds:
        s = dict(s)
        s.setdefault("by_epoch", False)
        if s.get("type") == "CosineAnnealingLR":
            s.setdefault("T_max", int(train["max_iters"]))
        out.append(s)
    return out


def build_train_runner(cfg: Config, work_dir: str | Path, *, resume: bool = True, progress: bool = True,
                       model: Any = None) -> LLIERunner:
    """An mmengine Runner for ``cfg``'s training; ``resume=True`` continues from ``work_dir``'s last checkpoint."""
    train = section(cfg, "train")
    if "max_iters" not in train:
        raise ConfigError(f"{cfg.filename}: missing required key 'train.max_iters'")
    max_iters = int(train["max_iters"])
    model = model if model is not None else build_model(cfg)
    device_type = str(train.get("device") or default_device_type()).split(":")[0]
    model = apply_model_options(model, train, device_type)  # channels_last, compile (both off by default)
    val_interval = int(train.get("val_interval", max_iters))
    ckpt_interval = int(train.get("checkpoint_interval", val_interval))
    seed = int(cfg.get("seed", 0))
    return LLIERunner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=unique_name("train"),
        train_dataloader=train_loader_cfg(cfg, build_dataset(cfg, "train")),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=max_iters, val_interval=val_interval),
        val_dataloader=eval_loader_cfg(cfg, build_dataset(cfg, "val")),
        val_cfg=dict(type="ValLoop"),
        val_evaluator=Evaluator(build_metric(cfg)),
        optim_wrapper=optim_wrapper_cfg(train, device_type),  # optimiser, clipping, accumulation, AMP
        param_scheduler=_scheduler(train),
        default_hooks=dict(
            timer=dict(type="IterTimerHook"),
            logger=dict(type="LoggerHook", interval=int(train.get("log_interval", 10)), log_metric_by_epoch=False),
            param_scheduler=dict(type="ParamSchedulerHook"),
            checkpoint=dict(type="CheckpointHook", interval=ckpt_interval, by_epoch=False, save_last=True,
                            max_keep_ckpts=int(train.get("keep_checkpoints", 2))),
            sampler_seed=dict(type="DistSamplerSeedHook"),
        ),
        custom_hooks=_hooks(cfg, progress) + performance_hooks(train, device_type),
        visualizer=visualizer_cfg(cfg),  # loss terms, lr and validation metrics to the configured trackers
        randomness=dict(seed=seed, deterministic=bool(cfg.get("deterministic", False))),
        resume=resume,
        launcher=detect_launcher(),
        log_level=logging.WARNING,
        cfg=cfg,
    )


def build_test_runner(cfg: Config, work_dir: str | Path, model: Any, dataset: Any, metric: Any,
                      progress: bool = True) -> LLIERunner:
    """An mmengine Runner that only tests ``model`` (weights already loaded) on ``dataset``."""
    return LLIERunner(
        model=model, work_dir=str(work_dir), experiment_name=unique_name("test"),
        test_dataloader=eval_loader_cfg(cfg, dataset), test_cfg=dict(type="TestLoop"), test_evaluator=Evaluator(metric),
        default_hooks=dict(timer=dict(type="IterTimerHook"), logger=dict(type="LoggerHook", interval=50)),
        custom_hooks=_hooks(cfg, progress), randomness=dict(seed=int(cfg.get("seed", 0))),
        log_level=logging.WARNING, cfg=cfg,
    )


def evaluate(cfg: Config, model: Any, dataset: Any, work_dir: str | Path, *, progress: bool = True,
             **eval_overrides: Any) -> EvalResult:
    """Test ``model`` on ``dataset`` through mmengine's TestLoop; returns means and per-image values."""
    metric = build_metric(cfg, **eval_overrides)
    runner = build_test_runner(cfg, work_dir, model, dataset, metric, progress=progress)
    metrics = runner.test()
    psnr = next(v for k, v in metrics.items() if k.endswith("psnr"))
    ssim = next(v for k, v in metrics.items() if k.endswith("ssim"))
    extras = {name: float(next(v for k, v in metrics.items() if k.endswith(name))) for name in metric.extra_metrics}
    return EvalResult(psnr=float(psnr), ssim=float(ssim), protocol=metric.protocol.name,
                      gt_mean=metric.protocol.gt_mean, per_image=list(metric.last_per_image),
                      crop_border=metric.protocol.crop_border, y_channel=metric.protocol.y_channel, extras=extras)
