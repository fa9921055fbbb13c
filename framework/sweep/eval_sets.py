"""Extra evaluation sets of a sweep (``eval_datasets: [lol_sample, path/to/set.yaml]``): datasets a cell's trained
model is also evaluated on after its own test split, stored as rows with ``dataset = <set name>`` and
``extra_eval = true``.

A set is a dataset name or a dataset YAML (see :mod:`llie.sweep.datasets`); its ``test`` split (else ``val``) is
evaluated. A set whose data is missing on the machine running the cell (a folder named by ``root``, ``low_dir``,
``high_dir`` or ``source`` — synthetic pairs' photo folder — does not exist, or a ``sample:`` path has no sample
data folder) is skipped with one logged line; other problems fail the cell like any evaluation error. A set equal to
the cell's own dataset is not evaluated twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import ConfigError
from ..paths import SAMPLE_PREFIX, resolve_data_path, sample_data_dir
from .datasets import data_section, dataset_file

log = logging.getLogger(__name__)
_PATH_KEYS = ("root", "low_dir", "high_dir", "source")


@dataclass(frozen=True)
class EvalSet:
    """``name``: the results' dataset column (a short name, or a YAML file's stem); ``file``: its dataset YAML."""

    name: str
    file: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "file": self.file}


def parse_eval_sets(value: Any, source: str) -> list[EvalSet]:
    """The sweep file's ``eval_datasets`` list, each entry checked (a known name or an existing YAML file)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{source}: sweep.eval_datasets must be a list of dataset names or YAML paths, "
                          f"got {value!r}")
    sets = []
    for entry in value:
        path = dataset_file(entry, f"{source}: sweep.eval_datasets")
        name = Path(entry).stem if entry.endswith((".yaml", ".yml")) else entry
        sets.append(EvalSet(name, str(path.resolve())))
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: sweep.eval_datasets names a dataset twice ({', '.join(names)})")
    return sets


def eval_split(eval_set: EvalSet) -> dict:
    """The dataset section evaluated: ``data.test``, else ``data.val``."""
    data = data_section(eval_set.file, f"sweep.eval_datasets {eval_set.name}")
    section = data.get("test") or data.get("val")
    if not isinstance(section, dict):
        raise ConfigError(f"{eval_set.file}: an evaluation set needs a data.test or data.val section")
    return section


def missing_data(section: dict) -> str | None:
    """Why the set's data is not on this machine (None when every folder it names exists)."""
    for key in _PATH_KEYS:
        value = section.get(key)
        if not isinstance(value, str):
            continue
        if value.startswith(SAMPLE_PREFIX) and sample_data_dir() is None:
            return "no sample data folder (set $LLIE_SAMPLE_DATA, or put it at ../shared/data)"
        if not resolve_data_path(value, what=key).is_dir():
            return f"{key} {value} does not exist"
    return None


def open_eval_sets(entries: list[dict], own_dataset: str) -> Iterator[tuple[str, Any]]:
    """``(name, dataset)`` for each available set of a cell (``entries`` as in ``cell.json``), logging skips."""
    from ..engine.builders import without_bad_pairs
    from ..registry import build

    for entry in entries:
        eval_set = EvalSet(entry["name"], entry["file"])
        if eval_set.name == own_dataset:
            continue
        section = eval_split(eval_set)
        reason = missing_data(section)
        if reason is not None:
            log.warning("extra evaluation set %s skipped: %s", eval_set.name, reason)
            continue
        yield eval_set.name, without_bad_pairs(build("datasets", section))
