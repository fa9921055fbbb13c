"""How many bytes a training run leaves on disk, from its config alone (nothing is trained or loaded).

A training checkpoint (see :mod:`llie.engine.frozen_parts`) holds the model's state without its frozen priors, the
optimiser's per-parameter state for the parameters trained in that run (AdamW: two moments and a step count), and
mmengine's message hub, whose scalar history grows by 16 bytes per iteration and logged scalar. A run keeps the last
``train.keep_checkpoints`` of its ``ceil(iters / checkpoint_interval)`` checkpoints; each coarse-to-fine stage is one
run. Logs, config dumps and result files add tens to hundreds of KB (mmengine's log lists every parameter tensor).

The model is built on the ``meta`` device (shapes, no memory, no weights read) with every ``pretrained`` nulled and a
frozen text prior left out — nothing in the model is shaped by it and a checkpoint does not store it; a model that
cannot be built on ``meta`` is built on the CPU.
"""
from __future__ import annotations

import contextlib
import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from mmengine.config import Config
from torch import nn

from ..config import to_plain
from .builders import build_model
from .frozen_parts import rebuilt_parts

#: tensors of optimiser state per trained parameter (``step`` included), by optimiser type; others count as Adam
OPTIMIZER_STATE_TENSORS = {"Adam": 3, "AdamW": 3, "Adamax": 3, "NAdam": 4, "RAdam": 3, "SGD": 1, "RMSprop": 2,
                           "Adagrad": 2}
#: zip entry + pickle record of one stored tensor (measured: ~280 B on torch 2.x)
TENSOR_OVERHEAD_BYTES = 300
#: meta (config text, versions), parameter schedulers and the frozen-part records of one checkpoint
CHECKPOINT_BASE_BYTES = 6 * 1024
#: message-hub history: float64 value + count per iteration and logged scalar (time, data_time, lr, loss, each term)
HISTORY_BYTES = 16
#: per run: mmengine's log folder (log file, scalars.json twice, config dump), last_checkpoint, the config copy
RUN_FILES_BYTES = 4 * 1024
#: mmengine's log file lists every parameter tensor with its initialisation (~160 B a line, frozen priors included)
INIT_LOG_BYTES_PER_TENSOR = 160
#: scalars.json + its timestamped copy grow by this much per logged iteration
LOG_BYTES_PER_LINE = 450
#: per sweep cell: config.yaml, cell.json, per_image.csv, attempts, the evaluation runs' logs
CELL_FILES_BYTES = 6 * 1024


@dataclass
class RunEstimate:
    """Bytes a training run (all stages) leaves on disk, and how many checkpoint files it keeps."""

    checkpoints: int
    checkpoint_bytes: int
    other_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.checkpoint_bytes + self.other_bytes


def _tensor_bytes(tensors: Any) -> tuple[int, int]:
    """(bytes, count) of an iterable of tensors."""
    tensors = list(tensors)
    return sum(t.numel() * t.element_size() for t in tensors), len(tensors)


def checkpoint_bytes(model: nn.Module, *, optimizer: str | None = "AdamW", iters: int = 0,
                     logged_losses: int = 1) -> int:
    """Estimated size of one training checkpoint of ``model`` as it is configured now (its trainable parameters
    are the ones the optimiser keeps state for) after ``iters`` iterations logging ``logged_losses`` loss terms.
    ``optimizer=None``: a training-free model's ``untrained.pth`` (weights only)."""
    skip = tuple(f"{slot}." for slot in rebuilt_parts(model))
    stored, n_stored = _tensor_bytes(v for k, v in model.state_dict().items() if not (skip and k.startswith(skip)))
    if optimizer is None:
        return stored + n_stored * TENSOR_OVERHEAD_BYTES + TENSOR_OVERHEAD_BYTES
    moments, n_trained = _tensor_bytes(p for p in model.parameters() if p.requires_grad)
    per_param = OPTIMIZER_STATE_TENSORS.get(optimizer, 3)  # each a copy of the parameter, except a scalar step
    optimizer_bytes = (per_param - 1) * moments + 4 * n_trained if per_param > 1 else moments
    history = HISTORY_BYTES * iters * (4 + logged_losses)
    return (stored + optimizer_bytes + (n_stored + per_param * n_trained) * TENSOR_OVERHEAD_BYTES
            + CHECKPOINT_BASE_BYTES + history)


def _counting_config(model_cfg: dict) -> dict:
    """The model section to count with: no weights file read, no frozen text prior built."""
    from .export import without_weight_files

    model_cfg = without_weight_files(model_cfg)
    text = model_cfg.get("text_prior")
    if isinstance(text, dict) and text.get("frozen", True) is not False:
        model_cfg["text_prior"] = None
    return model_cfg


def build_for_counting(cfg: Config | dict) -> nn.Module:
    """``cfg``'s model with the right parameter shapes and flags, built as cheaply as possible (see module doc)."""
    from ..checkpoints import random_init_expected

    plain = to_plain(cfg._cfg_dict if isinstance(cfg, Config) else cfg)
    counting = {**plain, "model": _counting_config(dict(plain.get("model") or {}))}
    quiet = contextlib.ExitStack()
    quiet.enter_context(random_init_expected())
    quiet.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    with quiet, torch.random.fork_rng(devices=[]):
        try:
            with torch.device("meta"):
                return build_model(counting)
        except Exception:  # a part that moves or fills its tensors while it is built
            logging.getLogger(__name__).debug("meta build failed; counting on the CPU", exc_info=True)
            return build_model(counting)


def _kept(iters: int, interval: int, keep: int) -> int:
    saves = math.ceil(iters / max(1, interval))
    return saves if keep < 1 else min(keep, saves)


def estimate_run(cfg: Config | dict) -> RunEstimate:
    """Bytes ``llie train cfg`` leaves in its work dir (checkpoints kept + logs), with no training."""
    from .stages import plan_stages

    config = cfg if isinstance(cfg, Config) else Config(to_plain(cfg))
    model = build_for_counting(config)
    if not any(p.requires_grad for p in model.parameters()):  # training-free: one untrained.pth
        return RunEstimate(1, checkpoint_bytes(model, optimizer=None), RUN_FILES_BYTES // 2)  # one short log
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    n_tensors = len(flags)
    runs = [(s.cfg, s.losses, s.trainable) for s in plan_stages(config)] or [(config, None, None)]
    total = files = other = 0
    for run_cfg, losses, trainable in runs:
        for name, p in model.named_parameters():  # each stage starts from a freshly built model's flags
            p.requires_grad_(flags[name])
        if hasattr(model, "configure_stage"):
            model.configure_stage(losses=losses, trainable=trainable)
        train = to_plain(run_cfg.get("train") or {})
        iters = int(train["max_iters"])
        interval = int(train.get("checkpoint_interval", train.get("val_interval", iters)))
        n_losses = len(losses) if losses is not None else len(getattr(model, "losses", ())) or 1
        optimizer = str((train.get("optimizer") or {}).get("type", "AdamW"))
        kept = _kept(iters, interval, int(train.get("keep_checkpoints", 2)))
        files += kept
        total += kept * checkpoint_bytes(model, optimizer=optimizer, iters=iters, logged_losses=n_losses)
        other += (RUN_FILES_BYTES + INIT_LOG_BYTES_PER_TENSOR * n_tensors
                  + LOG_BYTES_PER_LINE * iters // max(1, int(train.get("log_interval", 10))))
    return RunEstimate(files, total, other)
