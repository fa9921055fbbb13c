"""Coarse-to-fine training as a sequence of stages, each one mmengine run in its own sub-folder.

A stage (``train.stages`` items) may set::

    name: coarse            # folder stage<k>_<name>
    iters: 1000             # required: iterations of this stage
    losses: [pixel, edge]   # loss names in use (default: all of model.losses; with MixedSources, every source's
                            # term of each named loss, loss_<name>_<source>)
    trainable: [enhancer]   # parts trained (decomposer, illumination_adjuster, enhancer; default: all)
    crop_size: 64           # training crop (data.train.crop_size; every source's of a MixedSources)
    batch_size: 8           # data.batch_size
    lr: 0.0002              # train.optimizer.lr

Each stage starts from the previous stage's final weights and is itself resumable: a killed run continues from the
stage's last checkpoint, and finished stages (marked ``STAGE_DONE``) are skipped.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmengine.config import Config

from ..config import to_plain, validate
from ..data.mixed import source_datasets
from ..errors import ConfigError, did_you_mean

STAGE_KEYS = ("name", "iters", "losses", "trainable", "crop_size", "batch_size", "lr")
DONE_MARKER = "STAGE_DONE"


@dataclass
class Stage:
    index: int
    name: str
    iters: int
    losses: list[str] | None
    trainable: list[str] | None
    cfg: Config

    @property
    def folder(self) -> str:
        return f"stage{self.index + 1}_{self.name}"


def _check_stage(raw: Any, index: int, source: str) -> dict:
    where = f"{source}: train.stages[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in STAGE_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(key, STAGE_KEYS)}")
    if not isinstance(raw.get("iters"), int) or raw["iters"] < 1:
        raise ConfigError(f"{where}: 'iters' must be a positive int, got {raw.get('iters')!r}")
    for key in ("losses", "trainable"):
        if key in raw and not (isinstance(raw[key], list) and all(isinstance(v, str) for v in raw[key])):
            raise ConfigError(f"{where}: '{key}' must be a list of names, got {raw[key]!r}")
    return raw


def plan_stages(cfg: Config) -> list[Stage]:
    """The stages of ``cfg`` with each stage's own resolved config (empty when ``train.stages`` is not set)."""
    plain = to_plain(cfg._cfg_dict)
    raw_stages = (plain.get("train") or {}).get("stages") or []
    source = str(cfg.filename)
    stages = []
    for i, raw in enumerate(raw_stages):
        raw = _check_stage(raw, i, source)
        stage_plain = copy.deepcopy(plain)
        stage_plain["train"].pop("stages")
        train = stage_plain["train"]
        iters = int(raw["iters"])
        train["max_iters"] = iters
        train["val_interval"] = iters
        train["checkpoint_interval"] = min(int(train.get("checkpoint_interval", iters)), iters)
        if "crop_size" in raw:  # on every source of a MixedSources
            for dataset in source_datasets(stage_plain["data"]["train"]):
                dataset["crop_size"] = raw["crop_size"]
        if "batch_size" in raw:
            stage_plain["data"]["batch_size"] = raw["batch_size"]
        if "lr" in raw:
            train.setdefault("optimizer", {"type": "AdamW"})["lr"] = raw["lr"]
        if isinstance(train.get("scheduler"), dict) and train["scheduler"].get("type") == "CosineAnnealingLR":
            train["scheduler"]["T_max"] = iters
        validate(stage_plain, source)
        stages.append(Stage(i, str(raw.get("name", f"{i + 1}")), iters, raw.get("losses"), raw.get("trainable"),
                            Config(stage_plain, filename=cfg.filename)))  # None for a config built in memory
    return stages


def stage_done(work_dir: Path, stage: Stage) -> bool:
    return (work_dir / stage.folder / DONE_MARKER).is_file()


def mark_stage_done(work_dir: Path, stage: Stage) -> None:
    (work_dir / stage.folder / DONE_MARKER).write_text(f"{stage.iters}\n")
