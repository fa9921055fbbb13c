"""Load experiment YAML through mmengine ``Config`` (with ``_base_`` inheritance), apply ``--set`` overrides, validate.

Overrides are ``dotted.key=value`` with the value parsed as YAML (``1`` → int, ``[1,2]`` → list, ``null`` → None).
An override must name an existing key — a typo fails naming the closest key — unless it starts with ``+``, which
adds a new key (``+model.enhancer.width=32``).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable

import yaml
from mmengine.config import Config, ConfigDict

from ..errors import ConfigError, did_you_mean
from ..paths import shipped_config
from .schema import validate


def _read_yaml_checked(path: Path) -> dict:
    """Parse one YAML file ourselves first so syntax errors name the file and line."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}:{where}: YAML syntax error: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping of keys, got {type(data).__name__}")
    bases = data.get("_base_", [])
    for base in [bases] if isinstance(bases, str) else bases:
        base_path = (path.parent / base)
        if not base_path.is_file():
            raise ConfigError(f"{path}: _base_ '{base}' not found (looked for {base_path})")
        _read_yaml_checked(base_path)
    return data


def parse_override(text: str) -> tuple[str, Any, bool]:
    """``'a.b=1'`` → ``('a.b', 1, False)``; a leading ``+`` allows a new key."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like key.path=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    add = key.startswith("+")
    key = key.lstrip("+")
    if not key:
        raise ConfigError(f"override '{text}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value, add


def apply_overrides(cfg: dict, overrides: Iterable[str], source: str) -> dict:
    """Apply ``key=value`` overrides to a plain nested dict (lists indexed by number: ``losses.0.weight=2``)."""
    cfg = copy.deepcopy(cfg)
    for text in overrides:
        key, value, add = parse_override(text)
        node: Any = cfg
        parts = key.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = ".".join(parts[: depth + 1])
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f"{source}: override '{key}': '{where}' is not an index of a list of "
                                      f"{len(node)}")
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
                continue
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: override '{key}': '{'.'.join(parts[:depth])}' is a "
                                  f"{type(node).__name__}, not a section")
            if part not in node and not add:
                raise ConfigError(f"{source}: override of a non-existent key '{where}'"
                                  f"{did_you_mean(part, [k for k in node if not k.startswith('_')])}; "
                                  f"prefix it with '+' to add a new key")
            if last:
                node[part] = value
            else:
                if part not in node:
                    node[part] = {}
                node = node[part]
    return cfg


def to_plain(obj: Any) -> Any:
    """mmengine ConfigDict → nested plain dicts/lists."""
    if isinstance(obj, (ConfigDict, dict)):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> Config:
    """Resolve ``path`` (+ ``_base_`` chain) and overrides into a validated mmengine ``Config``.

    ``experiments/...`` paths that do not exist from the working directory name llie's shipped configs.
    """
    path = shipped_config(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    if path.suffix not in (".yaml", ".yml"):
        raise ConfigError(f"{path}: configs are YAML files (.yaml/.yml)")
    _read_yaml_checked(path)
    try:
        cfg = Config.fromfile(str(path))
    except Exception as exc:  # mmengine wraps many failure kinds; keep the first line
        raise ConfigError(f"{path}: cannot resolve config: {str(exc).splitlines()[0]}") from exc
    plain = apply_overrides(to_plain(cfg._cfg_dict), list(overrides), str(path))
    validate(plain, str(path))
    out = Config(plain, filename=str(path))
    return out
