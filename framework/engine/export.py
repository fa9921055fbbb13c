"""Exported models: one self-contained inference file per trained model.

Training checkpoints leave the frozen priors out (:mod:`llie.engine.frozen_parts`) and carry optimiser state; to ship
a model, ``llie export CONFIG CKPT OUT`` writes instead ``{"format", "state_dict", "config", "source"}``: the
``state_dict`` of the whole model (frozen priors included), the resolved config as a plain dict, and where both came
from. It loads with ``torch.load(weights_only=True)``.

``llie eval`` / ``llie enhance`` take such a file as ``--checkpoint``: CONFIG may then be omitted (the file's config
is used), or given when its ``model`` section is the exported one (its other sections, e.g. ``data``, are used). Every
``pretrained`` path of the model is then set to null — the weights come from the file, so no weights file, zoo
entry or ``$LLIE_WEIGHTS`` is needed on the machine that reads it.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
import yaml
from mmengine.config import Config

from ..checkpoints import read_checkpoint
from ..config import apply_overrides, load_config, to_plain, validate
from ..errors import CheckpointError, ConfigError

#: the ``format`` entry of an exported file (bumped if the layout changes)
EXPORT_FORMAT = "llie-export/1"


def export_model(cfg: Config, checkpoint: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Load ``checkpoint`` into ``cfg``'s model (frozen priors rebuilt and checked) and write the inference file
    ``out`` atomically; returns its path."""
    from .training import load_trained_model

    model = load_trained_model(cfg, checkpoint)
    payload = {"format": EXPORT_FORMAT,
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
               "config": to_plain(cfg._cfg_dict),
               "source": {"config": str(cfg.filename), "checkpoint": str(checkpoint)}}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    torch.save(payload, tmp)
    os.replace(tmp, out)
    return out


def exported_config(path: str | os.PathLike[str] | None) -> dict | None:
    """The config inside an exported file, or None when ``path`` is not one (or unreadable: the caller's normal
    loading then reports why). Cheap: the tensors are memory-mapped, not read."""
    if path is None or not Path(path).is_file():
        return None
    try:
        obj = read_checkpoint(path, what="exported model", mmap=True)
    except CheckpointError:
        return None
    if isinstance(obj, Mapping) and obj.get("format") == EXPORT_FORMAT and isinstance(obj.get("config"), Mapping):
        return dict(obj["config"])
    return None


def without_weight_files(model_cfg: Any) -> Any:
    """``model_cfg`` with every ``pretrained`` set to null: an exported file carries all of the model's weights."""
    if isinstance(model_cfg, Mapping):
        return {k: None if k == "pretrained" else without_weight_files(v) for k, v in model_cfg.items()}
    if isinstance(model_cfg, list):
        return [without_weight_files(v) for v in model_cfg]
    return model_cfg


def first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """The dotted key where two plain configs first differ, or None when they are equal."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            found = first_difference(a.get(key), b.get(key), f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := first_difference(x, y, f"{where}.{i}"))), None)
    return None if a == b else (where or "(root)")


def config_for_export(path: str | os.PathLike[str], exported: dict, config: str | os.PathLike[str] | None = None,
                      overrides: Iterable[str] = ()) -> Config:
    """The config to load the exported file ``path`` (whose config is ``exported``) with: ``exported`` itself when
    ``config`` is None, else ``config`` provided its model is the exported one; ``--set`` overrides apply to either.
    The model's ``pretrained`` entries are nulled (the file holds the weights)."""
    if config is None:
        source = f"{path}.config.yaml"  # a name for messages and mmengine's config dump; nothing is read from it
        plain = apply_overrides(exported, list(overrides), source)
        validate(plain, source)
    else:
        given = load_config(config, overrides)
        plain, source = to_plain(given._cfg_dict), str(given.filename)
        differs = first_difference(without_weight_files(exported.get("model")),
                                   without_weight_files(plain.get("model")), "model")
        if differs is not None:
            raise ConfigError(f"{source}: {differs} differs from the model exported in '{path}'; omit CONFIG to use "
                              f"the exported config, or export the model again with this config")
    plain = copy.deepcopy(plain)
    plain["model"] = without_weight_files(plain.get("model"))
    return Config(plain, cfg_text=yaml.safe_dump(plain, sort_keys=False), filename=source)
