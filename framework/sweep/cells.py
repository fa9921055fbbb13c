"""Cells: one (overrides, dataset, seed) of a sweep, its resolved config, stable id, method label and run directory.

The resolved config is the base config, with the dataset's ``data:`` section in place of its own, then the sweep's
``overrides``, the cell's overrides, the command line's ``--set`` values, and ``seed``. The id hashes that config
(canonical JSON, sorted keys) with the dataset name, so it does not depend on key order, the work dir or the time:
rerunning finds the same run directories, and changing the grid only adds cells.

Where a cell runs and where it reports are not part of its identity: ``work_dir``, ``prior_cache.root`` and
``vis_backends`` (experiment tracking, so adding TensorBoard reuses DONE cells) are left out of the hash. The
prior cache counts only through what it does to the features (:func:`llie.cache.settings.identity`): with its
defaults (``mode: exact``, ``dtype: float32``) a cell sees what it would see without the cache, so cached and uncached
runs share an id (``--no-prior-cache`` reuses DONE cells); ``mode: window`` or ``dtype: float16``, set in the config,
a sweep override or ``--set``, make it another cell. With ``--no-prior-cache`` such settings are dropped before the id
is taken, since the run then sees exact features.
"""
from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..cache import settings as cache_settings
from ..config import apply_overrides, load_config, to_plain, validate
from ..errors import ConfigError
from .datasets import data_section
from .spec import SweepSpec, canonical, override_text, plain_key

DONE = "DONE"
CONFIG_FILE = "config.yaml"
CELL_FILE = "cell.json"
METRICS_FILE = "metrics.json"
PER_IMAGE_FILE = "per_image.csv"
CELL_LOCK = ".cell.lock"


@dataclass
class Cell:
    """One unit of work: train + evaluate ``config`` (the resolved config, before the sweep's prior-cache setting)."""

    overrides: dict[str, Any]
    dataset: str
    seed: int
    config: dict[str, Any]
    cell_id: str
    method: str
    columns: dict[str, str | None] = field(default_factory=dict)

    def describe_overrides(self, width: int = 60) -> str:
        """``key=value, ...`` for tables (long values shortened)."""
        parts = []
        for key, value in self.overrides.items():
            text = value if isinstance(value, str) else canonical(value)
            if len(text) > width:
                text = text[: width - 1] + "…"
            parts.append(f"{plain_key(key)}={text}")
        return ", ".join(parts) or "(base)"


def cell_id(config: dict[str, Any], dataset: str) -> str:
    """12 hex digits of sha256 over the canonical JSON of the resolved config and the dataset name.

    ``work_dir`` and ``vis_backends`` are left out; ``prior_cache`` is replaced by the settings of it that change results (none for the
    defaults or no cache, so those share an id).
    """
    identity = {k: v for k, v in config.items() if k not in ("work_dir", "vis_backends", cache_settings.CONFIG_KEY)}
    cache_identity = cache_settings.identity(config.get(cache_settings.CONFIG_KEY))
    if cache_identity is not None:
        identity[cache_settings.CONFIG_KEY] = cache_identity
    payload = json.dumps({"config": identity, "dataset": dataset}, sort_keys=True, separators=(",", ":"),
                         default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def lookup(config: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    """``(found, value)`` of a dotted key (list items by index)."""
    node: Any = config
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def value_label(value: Any) -> str:
    """A config value as a results-table string: strings as they are, anything else as canonical JSON."""
    return value if isinstance(value, str) else canonical(value)


def method_label(overrides: dict[str, Any], config: dict[str, Any], fallback: str) -> str:
    """``experiment.method`` when the cell sets it; else a label built from the cell's override values.

    Component choices read as their type (``HRNetPrior+NoTextPrior``); other values as ``key=value`` with the last
    key part (``depth=2``).
    """
    if any(plain_key(k) == "experiment.method" for k in overrides):
        return str(lookup(config, "experiment.method")[1])
    parts = []
    for key, value in overrides.items():
        last = plain_key(key).split(".")[-1]
        if isinstance(value, dict) and "type" in value:
            parts.append(str(value["type"]))
        elif last == "type" and isinstance(value, str):
            parts.append(value)
        else:
            parts.append(f"{last}={value_label(value)}")
    if parts:
        return "+".join(parts)
    found, method = lookup(config, "experiment.method")
    return str(method) if found and method else fallback


def base_config(spec: SweepSpec) -> dict[str, Any]:
    """The sweep's base config as a plain dict (``_base_`` chain resolved)."""
    return to_plain(load_config(spec.base)._cfg_dict)


def resolve_config(spec: SweepSpec, overrides: dict[str, Any], dataset: str, seed: int,
                   extra_overrides: list[str] = (), base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plain resolved config of one cell (validated; the sweep's prior-cache setting not added)."""
    src = str(spec.path)
    plain = copy.deepcopy(base) if base is not None else base_config(spec)
    plain["data"] = data_section(dataset, src, spec.path.parent)
    plain = apply_overrides(plain, [override_text(k, v) for k, v in spec.overrides.items()], f"{src}: sweep.overrides")
    cell_where = ", ".join(f"{plain_key(k)}={value_label(v)}" for k, v in overrides.items()) or "base"
    plain = apply_overrides(plain, [override_text(k, v) for k, v in overrides.items()], f"{src}: cell [{cell_where}]")
    plain = apply_overrides(plain, list(extra_overrides), f"{src}: --set")
    plain["seed"] = int(seed)
    validate(plain, f"{src}: cell [{cell_where}, dataset {dataset}, seed {seed}]")
    return plain


def build_cells(spec: SweepSpec, extra_overrides: list[str] = (), *, prior_cache: bool = True) -> list[Cell]:
    """Every cell of the sweep, in order (override sets × datasets × their seeds); cells resolving alike are merged.

    ``prior_cache=False`` (``--no-prior-cache``) switches the cache off in every cell's config before its id is taken.
    """
    base_method = spec.base.stem
    varied = [k for k in spec.varied_keys() if k != "experiment.method"]
    base = base_config(spec)
    cells: list[Cell] = []
    seen: set[str] = set()
    for overrides, seeds in spec.seeded_variants():
        for dataset in spec.datasets:
            for seed in seeds:
                config = resolve_config(spec, overrides, dataset, seed, extra_overrides, base)
                if not prior_cache:
                    config[cache_settings.CONFIG_KEY] = None
                cid = cell_id(config, dataset)
                if cid in seen:
                    continue
                seen.add(cid)
                columns = {}
                for key in varied:
                    found, value = lookup(config, key)
                    columns[key] = value_label(value) if found else None
                cells.append(Cell(dict(overrides), dataset, int(seed), config, cid,
                                  method_label(overrides, config, base_method), columns))
    return cells


def runtime_config(cell: Cell, sweep_dir: Path, *, prior_cache: bool = True) -> dict[str, Any]:
    """The config a cell's run uses: its resolved config plus the sweep's prior-cache setting.

    By default every cell without a ``prior_cache`` setting, or with one that names no ``root``, shares
    ``<sweep_dir>/prior_cache`` (with the cache's defaults unless the config sets options); a config's ``prior_cache:
    null/false`` keeps it off; ``prior_cache=False`` (``--no-prior-cache``) switches the cache off on every cell.
    """
    config = copy.deepcopy(cell.config)
    key = cache_settings.CONFIG_KEY
    shared = str(Path(sweep_dir).resolve() / "prior_cache")
    value = config.get(key, True)
    if not prior_cache:
        config[key] = None
    elif value is True:
        config[key] = {"root": shared}
    elif isinstance(value, dict) and not value.get("root"):
        config[key] = {**value, "root": shared}
    return config


# ---- run directories ------------------------------------------------------------------------------------------
def run_dir(sweep_dir: str | Path, cell: Cell | str) -> Path:
    return Path(sweep_dir) / (cell if isinstance(cell, str) else cell.cell_id)


def cell_busy(path: Path) -> bool:
    """True while some process holds the cell's lock (it is being run right now)."""
    lock = path / CELL_LOCK
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def cell_status(path: Path) -> str:
    """``DONE`` (finished), ``running`` (locked by a live process), ``partial`` (started), or ``pending``."""
    if (path / DONE).is_file():
        return "DONE"
    if not path.is_dir():
        return "pending"
    if cell_busy(path):
        return "running"
    started = any(p.name not in (CONFIG_FILE, CELL_FILE, CELL_LOCK) for p in path.iterdir())
    return "partial" if started else "pending"


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def prepare_run_dir(cell: Cell, sweep_dir: Path, spec: SweepSpec, *, prior_cache: bool = True) -> Path:
    """Write ``config.yaml`` (runtime config) and ``cell.json`` so the run directory alone describes the job."""
    path = run_dir(sweep_dir, cell)
    path.mkdir(parents=True, exist_ok=True)
    config = runtime_config(cell, sweep_dir, prior_cache=prior_cache)
    write_atomic(path / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    info = {"sweep": spec.name, "cell_id": cell.cell_id, "method": cell.method, "dataset": cell.dataset,
            "seed": cell.seed, "overrides": cell.overrides, "columns": cell.columns, "base": str(spec.base),
            "sweep_file": str(spec.path), "protocols": [p.kwargs() for p in spec.protocols],
            "eval_datasets": [s.as_dict() for s in spec.eval_sets], "samples": spec.samples,
            "no_reference_metrics": list(spec.no_reference_metrics)}
    write_atomic(path / CELL_FILE, json.dumps(info, indent=2, default=str))
    return path


def read_cell(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(cell info, runtime config)`` from a prepared run directory."""
    try:
        info = json.loads((path / CELL_FILE).read_text())
        config = yaml.safe_load((path / CONFIG_FILE).read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not a prepared sweep cell (missing {Path(exc.filename).name}); "
                          f"run 'llie sweep' on its sweep file") from None
    return info, config
