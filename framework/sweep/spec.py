"""Sweep files: parse and check ``experiments/ablations/*.yaml``, and expand them into override sets.

A sweep file holds one ``sweep:`` mapping::

    sweep:
      name: demo                                   # default: the file's stem; names work_dirs/<name>/
      base: experiments/unet/unet_synthetic.yaml   # relative to the sweep file, the cwd or the shipped configs
      grid: {model.enhancer.depth: [2, 3]}         # dotted keys -> value lists; the cartesian product
      zip: [{a.b: [1, 2], c.d: [x, y]}]            # groups of keys varied together (one grid dimension each)
      include: [{model.enhancer: {type: GammaCorrection}}]   # extra override sets, added as they are
      #   (an include entry may say `seeds: [0]`: it runs with those seeds instead of sweep.seeds, e.g. once
      #   for a deterministic, training-free method)
      exclude: [{model.enhancer.depth: 3}]         # drop grid/zip combinations matching every pair given
      datasets: [synthetic]                        # short names (experiments/_base_/datasets/<name>.yaml)
      eval_datasets: [lol_sample]                  # extra evaluation sets: every trained model is also scored there
      no_reference_metrics: [niqe]                 # what scores sets without ground truth (e.g. dicm_sample)
      seeds: [0]
      overrides: {train.max_iters: 200}            # applied to every cell, before the cell's own overrides
      missing_weights: skip                        # cells whose zoo weights are absent and cannot be fetched are
                                                   #   left out with one line (default: fail; see llie.sweep.weights)
      reference: {model.enhancer.depth: 3}         # the ablation table's reference row (read by reports)
      baselines: [Gamma (auto)]                    # methods listed last in reports (training-free rows always are)
      report: {samples: 3}                         # sample images per evaluation set saved for the image grids
      protocols: [{protocol: retinexformer, gt_mean: false}]  # default: the base config's eval settings
      executor: {type: local, workers: 1}          # or {type: slurm, partition: gpu, time_min: 60, ...}

Keys must exist in the base config (a ``+`` prefix adds a new one, as with ``--set``). With neither ``grid`` nor
``zip`` the sweep is just its ``include`` entries (``include: [{}]`` is the base config itself). Every problem is
one :class:`~llie.errors.ConfigError` line naming the file and the key.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from ..config import apply_overrides, load_config, to_plain
from ..errors import ConfigError, did_you_mean
from ..paths import CONFIG_ROOT, shipped_config
from .datasets import data_section, dataset_file
from .eval_sets import EvalSet, parse_eval_sets
from .samples import DEFAULT_SAMPLES

#: Keys a cell may not vary (they have their own sweep field or would clash with a results-table column).
RESERVED_KEYS = {"seed": "use sweep.seeds", "data": "use sweep.datasets (or vary data.<key>)"}
#: the one key of an ``include`` entry that is not a config key: the seeds that entry runs with
INCLUDE_SEEDS = "seeds"
MISSING_WEIGHTS = ("fail", "skip")
SLURM_CLUSTERS = ("slurm", "local", "debug")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

_SWEEP_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,), "description": (str,), "base": (str,), "grid": (dict,), "zip": (list,), "include": (list,),
    "exclude": (list,), "datasets": (list,), "seeds": (list,), "overrides": (dict,), "reference": (dict,),
    "protocols": (list,), "executor": (dict,), "eval_datasets": (list,), "baselines": (list,), "report": (dict,),
    "no_reference_metrics": (list,), "missing_weights": (str,),
}
#: no-reference metrics of evaluation sets without ground truth when ``no_reference_metrics`` is not given
DEFAULT_NO_REFERENCE_METRICS = ("niqe",)
_REPORT_FIELDS: dict[str, tuple[type, ...]] = {"samples": (int,)}
_EXECUTOR_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,), "workers": (int,),
    "partition": (str,), "time_min": (int,), "gpus_per_node": (int,), "cpus_per_task": (int,),
    "mem_gb": (int, float), "nodes": (int,), "tasks_per_node": (int,), "array_parallelism": (int,),
    "cluster": (str,), "poll_s": (int, float), "wait": (bool,), "extra": (dict,),
}
_PROTOCOL_FIELDS: dict[str, tuple[type, ...]] = {
    "protocol": (str,), "gt_mean": (bool,), "crop_border": (int,), "y_channel": (bool,),
}


def plain_key(key: str) -> str:
    """``'+a.b'`` → ``'a.b'``: the name a key has in configs and result columns."""
    return key.lstrip("+")


def canonical(value: Any) -> str:
    """Order-independent text of a YAML value, to compare and hash values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def override_text(key: str, value: Any) -> str:
    """``key=value`` for :func:`llie.config.apply_overrides`; YAML text so the value reads back unchanged."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 20, allow_unicode=True).strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    elif text.endswith("..."):
        text = text[: -len("...")].strip()
    return f"{key}={text}"


@dataclass(frozen=True)
class ExecutorSpec:
    """Where cells run: ``local`` (``workers`` processes at a time) or ``slurm`` through submitit."""

    type: str = "local"
    workers: int = 1
    partition: str | None = None
    time_min: int = 60
    gpus_per_node: int = 1
    cpus_per_task: int | None = None
    mem_gb: float | None = None
    nodes: int = 1
    tasks_per_node: int = 1
    array_parallelism: int | None = None
    cluster: str = "slurm"  # submitit's 'local' or 'debug' run the same path on this machine (tests)
    poll_s: float = 10.0
    wait: bool = True
    extra: dict = field(default_factory=dict)  # more submitit parameters, e.g. {slurm_qos: high}


@dataclass(frozen=True)
class ProtocolSpec:
    """One evaluation protocol a cell is scored under; unset options keep the base config's ``eval`` values."""

    protocol: str
    gt_mean: bool | None = None
    crop_border: int | None = None
    y_channel: bool | None = None

    def kwargs(self) -> dict[str, Any]:
        out = {"protocol": self.protocol, "gt_mean": self.gt_mean, "crop_border": self.crop_border,
               "y_channel": self.y_channel}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class SweepSpec:
    """A parsed, checked sweep file."""

    path: Path
    name: str
    base: Path
    grid: dict[str, list] = field(default_factory=dict)
    zip: list[dict[str, list]] = field(default_factory=list)
    include: list[dict[str, Any]] = field(default_factory=list)
    #: per ``include`` entry: its own seeds (``seeds:`` in the entry), or None for ``seeds``
    include_seeds: list[list[int] | None] = field(default_factory=list)
    exclude: list[dict[str, Any]] = field(default_factory=list)
    datasets: list[str] = field(default_factory=lambda: ["synthetic"])
    seeds: list[int] = field(default_factory=lambda: [0])
    overrides: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    protocols: list[ProtocolSpec] = field(default_factory=list)
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)
    description: str = ""
    eval_sets: list[EvalSet] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    samples: int = DEFAULT_SAMPLES
    no_reference_metrics: list[str] = field(default_factory=lambda: list(DEFAULT_NO_REFERENCE_METRICS))
    missing_weights: str = "fail"

    def varied_keys(self) -> list[str]:
        """Plain dotted keys the cells differ in (grid, zip, include), in file order, without duplicates."""
        keys: list[str] = []
        for key in [*self.grid, *(k for group in self.zip for k in group), *(k for inc in self.include for k in inc)]:
            if plain_key(key) not in keys:
                keys.append(plain_key(key))
        return keys

    def variants(self) -> list[dict[str, Any]]:
        """Override sets: the grid × zip product minus ``exclude``, then ``include`` (duplicates dropped)."""
        return [overrides for overrides, _ in self.seeded_variants()]

    def seeded_variants(self) -> list[tuple[dict[str, Any], list[int]]]:
        """:meth:`variants`, each with the seeds it runs with (``seeds``, or an include entry's own)."""
        dims: list[list[dict[str, Any]]] = [[{k: v} for v in values] for k, values in self.grid.items()]
        for group in self.zip:
            length = len(next(iter(group.values())))
            dims.append([{k: values[i] for k, values in group.items()} for i in range(length)])
        out: list[tuple[dict[str, Any], list[int]]] = []
        if dims:
            for combo in product(*dims):
                merged: dict[str, Any] = {}
                for part in combo:
                    merged.update(part)
                if not any(_matches(merged, rule) for rule in self.exclude):
                    out.append((merged, list(self.seeds)))
        own = self.include_seeds or [None] * len(self.include)
        out.extend((dict(entry), list(seeds or self.seeds)) for entry, seeds in zip(self.include, own))
        seen: set[str] = set()
        unique = []
        for overrides, seeds in out:
            key = canonical({plain_key(k): v for k, v in overrides.items()})
            if key not in seen:
                seen.add(key)
                unique.append((overrides, seeds))
        return unique

    def summary(self) -> dict[str, Any]:
        """The plain facts reports need (written to ``work_dirs/<sweep>/sweep.json``)."""
        return {"name": self.name, "file": str(self.path), "base": str(self.base), "description": self.description,
                "varied_keys": self.varied_keys(), "reference": {plain_key(k): v for k, v in self.reference.items()},
                "datasets": list(self.datasets), "eval_datasets": [s.name for s in self.eval_sets],
                "seeds": list(self.seeds), "baselines": list(self.baselines), "samples": self.samples,
                "missing_weights": self.missing_weights,
                "protocols": [p.kwargs() for p in self.protocols],
                "no_reference_metrics": list(self.no_reference_metrics)}


def _matches(overrides: dict[str, Any], rule: dict[str, Any]) -> bool:
    plain = {plain_key(k): canonical(v) for k, v in overrides.items()}
    return all(plain.get(plain_key(k)) == canonical(v) for k, v in rule.items())


# ---- parsing --------------------------------------------------------------------------------------------------
def _type_names(types: tuple[type, ...]) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", int: "an integer", float: "a number",
             bool: "true/false"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_type(value: Any, types: tuple[type, ...], where: str, source: Path) -> None:
    if isinstance(value, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        raise ConfigError(f"{source}: {where} must be {_type_names(types)}, got {type(value).__name__} {value!r}")


def _check_fields(section: dict, fields: dict[str, tuple[type, ...]], where: str, source: Path) -> None:
    for key, value in section.items():
        if key not in fields:
            raise ConfigError(f"{source}: unknown key '{where}.{key}'{did_you_mean(str(key), fields)}; "
                              f"known: {', '.join(fields)}")
        _check_type(value, fields[key], f"{where}.{key}", source)


def _check_key_name(key: Any, where: str, source: Path) -> str:
    if not isinstance(key, str) or not plain_key(key):
        raise ConfigError(f"{source}: {where}: keys must be dotted config keys (strings), got {key!r}")
    if plain_key(key) in RESERVED_KEYS:
        raise ConfigError(f"{source}: {where}.{key}: a cell cannot vary '{plain_key(key)}'; "
                          f"{RESERVED_KEYS[plain_key(key)]}")
    return key


def _mapping_list(value: list, where: str, source: Path, allowed: set[str] = frozenset()) -> list[dict]:
    out = []
    for i, entry in enumerate(value):
        _check_type(entry, (dict,), f"{where}[{i}]", source)
        for key in entry:
            if key not in allowed:
                _check_key_name(key, f"{where}[{i}]", source)
        out.append(dict(entry))
    return out


def _seeds(value: Any, where: str, source: Path) -> list[int]:
    if not isinstance(value, list) or not value or not all(isinstance(s, int) and not isinstance(s, bool)
                                                           for s in value):
        raise ConfigError(f"{source}: {where} must be a non-empty list of integers, got {value!r}")
    if len(set(value)) != len(value):
        raise ConfigError(f"{source}: {where} must not repeat a value")
    return list(value)


def _split_include_seeds(entries: list[dict], source: Path) -> tuple[list[dict], list[list[int] | None]]:
    """``include`` entries without their ``seeds:`` key, and each entry's seeds (None: the sweep's)."""
    plain, seeds = [], []
    for i, entry in enumerate(entries):
        own = entry.pop(INCLUDE_SEEDS, None)
        seeds.append(None if own is None else _seeds(own, f"sweep.include[{i}].{INCLUDE_SEEDS}", source))
        plain.append(entry)
    return plain, seeds


def _parse_grid(grid: dict, source: Path) -> dict[str, list]:
    if not grid:
        raise ConfigError(f"{source}: sweep.grid is empty; give at least one key with a list of values "
                          f"(or remove it and use sweep.include)")
    for key, values in grid.items():
        _check_key_name(key, "sweep.grid", source)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{source}: sweep.grid.{key} must be a non-empty list of values, got {values!r}")
    return {k: list(v) for k, v in grid.items()}


def _parse_zip(groups: list, source: Path) -> list[dict[str, list]]:
    out = []
    for i, group in enumerate(groups):
        where = f"sweep.zip[{i}]"
        _check_type(group, (dict,), where, source)
        if not group:
            raise ConfigError(f"{source}: {where} is empty; give keys with equally long value lists")
        lengths = {}
        for key, values in group.items():
            _check_key_name(key, where, source)
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{source}: {where}.{key} must be a non-empty list of values, got {values!r}")
            lengths[key] = len(values)
        if len(set(lengths.values())) > 1:
            raise ConfigError(f"{source}: {where}: zipped lists must have the same length, got "
                              + ", ".join(f"{k}: {n}" for k, n in lengths.items()))
        out.append(dict(group))
    return out


def _parse_executor(raw: dict, source: Path) -> ExecutorSpec:
    _check_fields(raw, _EXECUTOR_FIELDS, "sweep.executor", source)
    kind = raw.get("type", "local")
    if kind not in ("local", "slurm"):
        raise ConfigError(f"{source}: sweep.executor.type must be 'local' or 'slurm', got {kind!r}")
    local_only, slurm_only = {"workers"}, set(_EXECUTOR_FIELDS) - {"type", "workers"}
    wrong = sorted(set(raw) & (slurm_only if kind == "local" else local_only))
    if wrong:
        raise ConfigError(f"{source}: sweep.executor.{wrong[0]} does not apply to executor type '{kind}'")
    if raw.get("workers", 1) < 1:
        raise ConfigError(f"{source}: sweep.executor.workers must be >= 1, got {raw['workers']}")
    if raw.get("cluster", "slurm") not in SLURM_CLUSTERS:
        raise ConfigError(f"{source}: sweep.executor.cluster must be one of {', '.join(SLURM_CLUSTERS)}, "
                          f"got {raw['cluster']!r}")
    return ExecutorSpec(**raw)


def _parse_protocols(raw: list, source: Path) -> list[ProtocolSpec]:
    from ..metrics import get_protocol

    out = []
    for i, entry in enumerate(raw):
        where = f"sweep.protocols[{i}]"
        _check_type(entry, (dict,), where, source)
        _check_fields(entry, _PROTOCOL_FIELDS, where, source)
        if "protocol" not in entry:
            raise ConfigError(f"{source}: {where} needs a 'protocol' (e.g. retinexformer or basicsr)")
        try:
            get_protocol(entry["protocol"], **{k: v for k, v in entry.items() if k != "protocol"})
        except ConfigError as exc:
            raise ConfigError(f"{source}: {where}: {exc}") from None
        out.append(ProtocolSpec(**entry))
    tags = [canonical(p.kwargs()) for p in out]
    if len(set(tags)) != len(tags):
        raise ConfigError(f"{source}: sweep.protocols lists the same protocol settings twice")
    return out


def _parse_no_reference(raw: Any, source: Path) -> list[str]:
    """``no_reference_metrics``: registered no-reference metric names (e.g. ``niqe``), at least one."""
    from ..metrics.no_reference import no_reference_metrics

    if not raw or not all(isinstance(m, str) for m in raw):
        raise ConfigError(f"{source}: sweep.no_reference_metrics must be a non-empty list of metric names, "
                          f"got {raw!r}")
    known = no_reference_metrics()
    for name in raw:
        if name not in known:
            raise ConfigError(f"{source}: sweep.no_reference_metrics: unknown no-reference metric '{name}'"
                              f"{did_you_mean(name, known)}; known: {', '.join(sorted(known)) or 'none'}")
    return list(dict.fromkeys(raw))


def resolve_base(base: str, source: Path) -> Path:
    """The base config path: absolute, or relative to the sweep file's folder, the working directory or the shipped
    configs' root (``experiments/...`` names llie's own configs from any folder)."""
    path = Path(base)
    candidates = [path] if path.is_absolute() else [source.parent / path, Path.cwd() / path, CONFIG_ROOT / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(f"{source}: sweep.base '{base}' not found (looked for "
                      + " and ".join(str(c) for c in candidates) + ")")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"sweep file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark is not None else ""
        raise ConfigError(f"{path}:{where} YAML syntax error: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or "sweep" not in data:
        raise ConfigError(f"{path}: a sweep file holds one top-level 'sweep:' mapping")
    extra = [k for k in data if k != "sweep"]
    if extra:
        raise ConfigError(f"{path}: unknown top-level key '{extra[0]}'{did_you_mean(str(extra[0]), ['sweep'])}; "
                          f"a sweep file holds only 'sweep:'")
    _check_type(data["sweep"], (dict,), "sweep", path)
    return data["sweep"]


def load_sweep(path: str | Path, *, check_keys: bool = True) -> SweepSpec:
    """Parse and check a sweep file; ``check_keys`` also tries every key on the base config."""
    path = shipped_config(path)
    raw = _read(path)
    _check_fields(raw, _SWEEP_FIELDS, "sweep", path)
    if "base" not in raw:
        raise ConfigError(f"{path}: missing required key 'sweep.base' (the config every cell starts from)")
    name = raw.get("name", path.stem)
    if not _NAME_RE.match(name):
        raise ConfigError(f"{path}: sweep.name {name!r} must be a folder name (letters, digits, '.', '_', '-')")
    grid = _parse_grid(raw["grid"], path) if "grid" in raw else {}
    groups = _parse_zip(raw.get("zip", []), path)
    include, include_seeds = _split_include_seeds(
        _mapping_list(raw.get("include", []), "sweep.include", path, allowed={INCLUDE_SEEDS}), path)
    exclude = _mapping_list(raw.get("exclude", []), "sweep.exclude", path)
    if not grid and not groups and not include:
        raise ConfigError(f"{path}: the sweep defines no cells; give sweep.grid, sweep.zip or sweep.include")
    seen: dict[str, str] = {}
    for where, keys in [("grid", grid), *((f"zip[{i}]", g) for i, g in enumerate(groups))]:
        for key in keys:
            if plain_key(key) in seen:
                raise ConfigError(f"{path}: key '{plain_key(key)}' is varied twice (sweep.{seen[plain_key(key)]} "
                                  f"and sweep.{where})")
            seen[plain_key(key)] = where
    for i, rule in enumerate(exclude):
        for key in rule:
            if plain_key(key) not in seen:
                raise ConfigError(f"{path}: sweep.exclude[{i}].{key} is not varied by sweep.grid or sweep.zip, "
                                  f"so it can never match")
    datasets = raw.get("datasets", ["synthetic"])
    if not datasets or not all(isinstance(d, str) for d in datasets):
        raise ConfigError(f"{path}: sweep.datasets must be a non-empty list of dataset names, got {datasets!r}")
    for name_ in datasets:
        dataset_file(name_, f"{path}: sweep.datasets", path.parent)
    seeds = raw.get("seeds", [0])
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ConfigError(f"{path}: sweep.seeds must be a non-empty list of integers, got {seeds!r}")
    missing_weights = raw.get("missing_weights", MISSING_WEIGHTS[0])
    if missing_weights not in MISSING_WEIGHTS:
        raise ConfigError(f"{path}: sweep.missing_weights must be one of {', '.join(MISSING_WEIGHTS)}, "
                          f"got {missing_weights!r}")
    if len(set(datasets)) != len(datasets) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"{path}: sweep.datasets and sweep.seeds must not repeat a value")
    overrides = raw.get("overrides", {})
    for key in overrides:
        _check_key_name(key, "sweep.overrides", path)
    baselines = raw.get("baselines", [])
    if not all(isinstance(b, str) and b for b in baselines):
        raise ConfigError(f"{path}: sweep.baselines must be a list of method labels, got {baselines!r}")
    report = raw.get("report", {})
    _check_fields(report, _REPORT_FIELDS, "sweep.report", path)
    if report.get("samples", DEFAULT_SAMPLES) < 0:
        raise ConfigError(f"{path}: sweep.report.samples must be >= 0 (0 saves no sample images), "
                          f"got {report['samples']}")
    spec = SweepSpec(path=path, name=name, base=resolve_base(raw["base"], path), grid=grid, zip=groups,
                     include=include, include_seeds=include_seeds, exclude=exclude, datasets=list(datasets), seeds=list(seeds),
                     overrides=dict(overrides), reference=dict(raw.get("reference", {})),
                     protocols=_parse_protocols(raw.get("protocols", []), path),
                     executor=_parse_executor(raw.get("executor", {}), path), description=raw.get("description", ""),
                     eval_sets=parse_eval_sets(raw.get("eval_datasets", []), str(path)), baselines=list(baselines),
                     samples=report.get("samples", DEFAULT_SAMPLES), missing_weights=missing_weights,
                     no_reference_metrics=_parse_no_reference(
                         raw.get("no_reference_metrics", list(DEFAULT_NO_REFERENCE_METRICS)), path))
    varied = spec.varied_keys()
    for key in spec.reference:
        if plain_key(key) not in varied:
            raise ConfigError(f"{path}: sweep.reference.{key} is not a key the sweep varies "
                              f"(varied: {', '.join(varied) or 'none'})")
    if check_keys:
        check_keys_exist(spec)
    return spec


def check_keys_exist(spec: SweepSpec) -> None:
    """Try every override key on the base config (with the first dataset's data), naming the sweep key on failure."""
    base = to_plain(load_config(spec.base)._cfg_dict)
    base["data"] = data_section(spec.datasets[0], str(spec.path), spec.path.parent)
    src = str(spec.path)
    apply_overrides(base, [override_text(k, v) for k, v in spec.overrides.items()], f"{src}: sweep.overrides")
    for key, values in spec.grid.items():
        apply_overrides(base, [override_text(key, values[0])], f"{src}: sweep.grid")
    for i, group in enumerate(spec.zip):
        apply_overrides(base, [override_text(k, v[0]) for k, v in group.items()], f"{src}: sweep.zip[{i}]")
    for i, entry in enumerate(spec.include):
        apply_overrides(base, [override_text(k, v) for k, v in entry.items()], f"{src}: sweep.include[{i}]")
