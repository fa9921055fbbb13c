"""What a resolved experiment config may contain, checked before any work starts.

Each rule names the key path, the accepted types and whether the key is required. Sections not described here
(component kwargs under ``model`` and ``data.*``) are checked later by the component constructors, which name the
component and the argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, did_you_mean
from .tracking import normalise_backends


@dataclass(frozen=True)
class Key:
    types: tuple[type, ...]
    required: bool = False
    children: dict[str, "Key"] | None = None  # a dict section whose keys are checked too
    doc: str = ""


NUM = (int, float)
COMPONENT = (dict, str, type(None))

SCHEMA: dict[str, Key] = {
    "experiment": Key((dict,), children={
        "name": Key((str,)), "description": Key((str,)), "method": Key((str,), doc="row label in reports"),
    }),
    "seed": Key((int,), doc="random seed for weights, data order and augmentation"),
    "deterministic": Key((bool,)),
    "work_dir": Key((str,)),
    "model": Key((dict,), required=True),
    "data": Key((dict,), required=True, children={
        "train": Key((dict,), required=True), "val": Key((dict,), required=True), "test": Key((dict, type(None))),
        "batch_size": Key((int,)), "val_batch_size": Key((int,)), "num_workers": Key((int,)),
        "pin_memory": Key((bool,)), "persistent_workers": Key((bool,)),
    }),
    "train": Key((dict,), children={
        "max_iters": Key((int,), required=True), "val_interval": Key((int,)), "checkpoint_interval": Key((int,)),
        "log_interval": Key((int,)), "optimizer": Key((dict,)), "scheduler": Key((dict, list, type(None))),
        "grad_clip": Key((dict, type(None))), "keep_checkpoints": Key((int,)), "stages": Key((list, type(None))),
        "accumulate_grad": Key((int,)), "amp": Key((bool, str)), "channels_last": Key((bool,)),
        "compile": Key((bool,)), "device": Key((str, type(None))),
    }),
    "eval": Key((dict,), children={
        "protocol": Key((str,)), "gt_mean": Key((bool,)), "crop_border": Key((int,)), "y_channel": Key((bool,)),
        "extra_metrics": Key((list,), doc="paired metrics beyond PSNR/SSIM, e.g. [delta_e]"),
    }),
    "prior_cache": Key((dict, bool, type(None))),
    "custom_hooks": Key((list,)),
    "vis_backends": Key((list, type(None)), doc="experiment tracking: mmengine visualiser backends, see .tracking"),
}


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


def _check(section: dict[str, Any], rules: dict[str, Key], where: str, source: str) -> None:
    for key in section:
        if key.startswith("_"):  # mmengine's own keys (_base_, _delete_) and private ones
            continue
        if key not in rules:
            place = f"unknown key '{where}{key}'" if where else f"unknown top-level key '{key}'"
            raise ConfigError(f"{source}: {place}{did_you_mean(key, rules)}")
    for key, rule in rules.items():
        path = f"{where}{key}"
        if key not in section:
            if rule.required:
                raise ConfigError(f"{source}: missing required key '{path}'")
            continue
        value = section[key]
        ok = isinstance(value, rule.types) and not (isinstance(value, bool) and bool not in rule.types)
        if not ok:
            raise ConfigError(f"{source}: key '{path}' must be {_type_names(rule.types)}, "
                              f"got {type(value).__name__} {value!r}")
        if rule.children is not None and isinstance(value, dict):
            _check(value, rule.children, f"{path}.", source)


def validate(cfg: dict[str, Any], source: str = "<config>") -> None:
    """Raise one :class:`ConfigError` line for the first problem (unknown key, wrong type, missing key)."""
    _check(cfg, SCHEMA, "", source)
    if cfg.get("vis_backends") is not None:
        normalise_backends(cfg["vis_backends"], source)
    model = cfg["model"]
    if "enhancer" not in model:
        raise ConfigError(f"{source}: missing required key 'model.enhancer'")
