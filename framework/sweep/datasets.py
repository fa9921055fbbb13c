"""Dataset short names of sweep files (``synthetic``, ``lolv1``, ...) → the ``data:`` section a cell trains on.

A name ``N`` stands for ``experiments/_base_/datasets/N.yaml``; its ``data:`` section replaces the cell config's
``data:`` section whole, so one base config runs on every dataset. A path to a YAML file is accepted too, for
datasets that live outside the repository: absolute, or relative to the sweep file's folder or the working directory
(as ``sweep.base``). mmengine reads the file, so ``{{$LLIE_DATA:data}}`` environment placeholders resolve as in any
config, and dataset roots may name the sample data folder as ``sample:<folder>`` (see
:func:`llie.paths.resolve_data_path`).
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from mmengine.config import Config

from ..config import to_plain
from ..errors import ConfigError, did_you_mean
from ..paths import EXPERIMENTS

DATASETS_DIR = EXPERIMENTS / "_base_" / "datasets"


def known_datasets() -> list[str]:
    """Short names with a file under ``experiments/_base_/datasets/``."""
    return sorted(p.stem for p in DATASETS_DIR.glob("*.yaml"))


def dataset_file(name: str, source: str = "<sweep>", folder: Path | None = None) -> Path:
    """The YAML file a dataset name stands for (``folder``: the sweep file's, for relative paths); a one-line
    :class:`ConfigError` naming the known names otherwise."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        candidates = [path] if path.is_absolute() else [*([folder / path] if folder else []), Path.cwd() / path]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise ConfigError(f"{source}: dataset file not found: {name} (looked for "
                              + " and ".join(str(c) for c in candidates) + ")")
        return found
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


def data_section(name: str, source: str = "<sweep>", folder: Path | None = None) -> dict:
    """A fresh copy of the ``data:`` section of dataset ``name`` (``folder``: see :func:`dataset_file`)."""
    return copy.deepcopy(_data_section_cached(str(dataset_file(name, source, folder))))
