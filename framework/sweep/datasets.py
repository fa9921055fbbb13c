"""Dataset short names of sweep files (``synthetic``, ``lolv1``, ...) → the ``data:`` section a cell trains on.

A name ``N`` stands for ``experiments/_base_/datasets/N.yaml``; its ``data:`` section replaces the cell config's
``data:`` section whole, so one base config runs on every dataset. A path to a YAML file is accepted too, for
datasets that live outside the repository. mmengine reads the file, so ``{{$LLIE_DATA:data}}`` environment
placeholders resolve as in any config. ``${sample_data}`` in a text value stands for llie's sample data folder
(:func:`llie.paths.sample_data_dir`: ``$LLIE_SAMPLE_DATA`` or ``../shared/data``); it stays as written when there is
none, so the dataset's folder reads as missing.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from mmengine.config import Config

from ..config import to_plain
from ..errors import ConfigError, did_you_mean
from ..paths import EXPERIMENTS, sample_data_dir

DATASETS_DIR = EXPERIMENTS / "_base_" / "datasets"
SAMPLE_DATA = "${sample_data}"


def known_datasets() -> list[str]:
    """Short names with a file under ``experiments/_base_/datasets/``."""
    return sorted(p.stem for p in DATASETS_DIR.glob("*.yaml"))


def dataset_file(name: str, source: str = "<sweep>") -> Path:
    """The YAML file a dataset name stands for; a one-line :class:`ConfigError` naming the known names otherwise."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"{source}: dataset file not found: {name}")
        return path
    path = DATASETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{source}: unknown dataset '{name}'{did_you_mean(name, known_datasets())}; "
                          f"known: {', '.join(known_datasets())} (or a path to a YAML file with a data: section)")
    return path


@lru_cache(maxsize=None)
def _data_section_cached(path: str) -> dict:
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # mmengine wraps many failure kinds; keep the first line
        raise ConfigError(f"{path}: cannot read dataset config: {str(exc).splitlines()[0]}") from exc
    data = to_plain(cfg._cfg_dict).get("data")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a dataset config needs a 'data:' mapping")
    return data


def with_sample_data(value: Any) -> Any:
    """``value`` with ``${sample_data}`` replaced by the sample data folder in every string (when there is one)."""
    if isinstance(value, dict):
        return {k: with_sample_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_sample_data(v) for v in value]
    if isinstance(value, str) and SAMPLE_DATA in value:
        folder = sample_data_dir()
        return value.replace(SAMPLE_DATA, str(folder)) if folder is not None else value
    return value


def data_section(name: str, source: str = "<sweep>") -> dict:
    """A fresh copy of the ``data:`` section of dataset ``name`` (``${sample_data}`` resolved)."""
    return with_sample_data(copy.deepcopy(_data_section_cached(str(dataset_file(name, source)))))
