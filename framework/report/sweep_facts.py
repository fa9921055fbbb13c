"""What the sweep itself says about its rows, read from the sweep directory: ``sweep.json`` (written by ``llie sweep``)
or, failing that, a copied sweep file ``sweep.yaml``.

Reports use these facts for the ablation reference (``reference``), the row order (the order of ``cells``, i.e. the
order of the cells in the sweep file) and the baselines listed last (``baselines``). Everything is optional: a store
without a sweep file next to it gets the defaults described where each fact is used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

#: what the sweep leaves in its directory (the runner writes sweep.json; a copied sweep file also works)
SWEEP_FILES = ("sweep.json", "sweep.yaml")


@dataclass
class SweepFacts:
    """``cells``: cell ids in sweep-file order; ``methods``: method labels in the same order (first appearance)."""

    reference: dict[str, Any] = field(default_factory=dict)
    cells: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    source: Path | None = None


def read_facts(sweep_dir: str | Path) -> SweepFacts:
    """The facts of the first sweep file found in ``sweep_dir`` (empty facts when there is none)."""
    for name in SWEEP_FILES:
        path = Path(sweep_dir) / name
        if path.is_file():
            return _parse(path)
    return SweepFacts()


def _parse(path: Path) -> SweepFacts:
    try:
        data = yaml.safe_load(path.read_text()) or {}  # JSON is YAML
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: syntax error: {str(exc).splitlines()[0]}") from None
    section = data.get("sweep", data) if isinstance(data, dict) else {}
    if not isinstance(section, dict):
        section = {}
    reference = section.get("reference")
    if reference is not None and not isinstance(reference, dict):
        raise ConfigError(f"{path}: reference must be a mapping of KEY: VALUE, got {type(reference).__name__}")
    baselines = section.get("baselines") or []
    if not isinstance(baselines, list):
        raise ConfigError(f"{path}: baselines must be a list of method labels, got {type(baselines).__name__}")
    cells = [c for c in section.get("cells") or [] if isinstance(c, dict)]
    methods: list[str] = []
    for cell in cells:
        if str(cell.get("method", "")) not in methods:
            methods.append(str(cell.get("method", "")))
    return SweepFacts(reference={str(k).lstrip("+"): v for k, v in (reference or {}).items()},
                      cells=[str(c.get("cell_id", "")) for c in cells], methods=methods,
                      baselines=[str(b) for b in baselines], source=path)
