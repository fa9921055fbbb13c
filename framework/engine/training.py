"""``train``: one config → a trained checkpoint in a work dir, through mmengine's Runner; and loading it back."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config
from mmengine.runner import set_random_seed

from ..checkpoints import random_init_expected, refuse_untrained
from ..errors import CheckpointError
from .builders import build_dataset, build_model, section
from .export import exported_config
from .frozen_parts import FROZEN_PARTS_KEY, load_checkpoint_into, trained_state
from .resume import LAST_CHECKPOINT, last_checkpoint, repair_checkpoint_pointers, write_pointer
from .safety import check_output_dir
from .stages import Stage, mark_stage_done, plan_stages, stage_done
from .runner import MetricsRecorderHook, build_train_runner, evaluate



@dataclass
class TrainResult:
    checkpoint: Path
    metrics: dict[str, float] = field(default_factory=dict)


def _save_untrained(model: Any, work_dir: Path) -> Path:
    """Training-free models still get a checkpoint so eval/enhance treat every row alike (atomic write); like every
    training checkpoint it leaves the frozen priors out (see :mod:`llie.engine.frozen_parts`)."""
    path = work_dir / "untrained.pth"
    tmp = path.with_suffix(".pth.tmp")
    state, records = trained_state(model)
    torch.save({"state_dict": state, FROZEN_PARTS_KEY: records, "meta": {"iter": 0, "trainable": False}}, tmp)
    os.replace(tmp, path)
    write_pointer(work_dir / LAST_CHECKPOINT, path)
    return path


def train(cfg: Config, work_dir: str | Path, *, resume: bool = True, progress: bool = True) -> TrainResult:
    """Train ``cfg`` in ``work_dir`` (resuming from its last checkpoint) and validate at the end.

    With ``train.stages`` the stages run one after another (see :mod:`llie.engine.stages`).
    """
    work_dir = Path(work_dir)
    check_output_dir(work_dir)  # an unusable work dir fails in one line before anything is built
    repair_checkpoint_pointers(work_dir)  # a crash mid-write must not make the rerun start afresh
    stages = plan_stages(cfg)
    if stages:
        return _train_stages(stages, work_dir, resume=resume, progress=progress)
    return _train_once(cfg, work_dir, resume=resume, progress=progress)


def _train_stages(stages: list[Stage], work_dir: Path, *, resume: bool, progress: bool) -> TrainResult:
    previous: Path | None = None
    result = TrainResult(work_dir)
    for stage in stages:
        stage_dir = work_dir / stage.folder
        finished = last_checkpoint(stage_dir) if resume and stage_done(work_dir, stage) else None
        if finished is not None:
            previous = finished
            continue
        seed_everything(stage.cfg)
        model = build_model(stage.cfg)
        if previous is not None:
            load_checkpoint_into(model, previous, what="stage checkpoint")
        model.configure_stage(losses=stage.losses, trainable=stage.trainable)
        result = _train_once(stage.cfg, stage_dir, resume=resume, progress=progress, model=model)
        mark_stage_done(work_dir, stage)
        previous = result.checkpoint
    final = previous if previous is not None else result.checkpoint
    write_pointer(work_dir / LAST_CHECKPOINT, final)
    return TrainResult(final, result.metrics)


def seed_everything(cfg: Config) -> None:
    """Seed before any model is built, so random initialisations (incl. ``pretrained: null`` priors) repeat."""
    set_random_seed(int(cfg.get("seed", 0)), deterministic=bool(cfg.get("deterministic", False)))


def _train_once(cfg: Config, work_dir: Path, *, resume: bool, progress: bool, model: Any = None) -> TrainResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    if model is None:
        seed_everything(cfg)
        model = build_model(cfg)
    if not model.trainable:
        ckpt = _save_untrained(model, work_dir)
        result = evaluate(cfg, model, build_dataset(cfg, "val"), work_dir, progress=progress)
        return TrainResult(ckpt, {"psnr": result.psnr, "ssim": result.ssim})
    check_output_dir(work_dir, model, keep=int(section(cfg, "train").get("keep_checkpoints", 2)))
    runner = build_train_runner(cfg, work_dir, resume=resume, progress=progress, model=model)
    recorder = next(h for h in runner.hooks if isinstance(h, MetricsRecorderHook))
    runner.train()
    metrics = {k.split("/")[-1]: float(v) for k, v in recorder.last.items()}
    ckpt = last_checkpoint(work_dir)
    return TrainResult(ckpt if ckpt is not None else work_dir, metrics)


def load_trained_model(cfg: Config, checkpoint: str | Path | None = None) -> Any:
    """Build ``cfg``'s model and load weights from ``checkpoint`` (weights-only; key mismatches named).

    Without a checkpoint the model is used as its config builds it (pretrained files loaded): fine for training-free
    methods and published weights, refused with one line when trainable parameters would stay randomly initialised.
    """
    seed_everything(cfg)
    if checkpoint is None:
        model = build_model(cfg)
        refuse_untrained(model, Path(cfg.filename or "config").name)
        return model.eval()
    with random_init_expected(exported_config(checkpoint) is not None):  # an exported file holds every weight
        model = build_model(cfg)
    if not model.state_dict():  # training-free (e.g. gamma correction): nothing to load, but the file must exist
        if not Path(checkpoint).is_file():
            raise CheckpointError(f"model checkpoint not found: {checkpoint}")
        return model.eval()
    load_checkpoint_into(model, checkpoint, what="model checkpoint")
    model.eval()
    return model
