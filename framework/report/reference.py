"""Which row the ablation table subtracts: chosen by ``--reference KEY=VALUE``, else by the sweep file's
``reference`` mapping (``<sweep_dir>/sweep.json`` or ``sweep.yaml``), else the row with the most priors switched on.

Keys are store columns: ``method`` or an overridden dotted key such as ``model.image_prior.type``; the sweep's own
``experiment.method`` names the ``method`` column (the sweep stores that key as the method label, not as a key
column of its own). Values match as text, case-insensitively, or as equal YAML values (``true`` = ``True``, ``1`` =
``1.0``). When several rows match, the one with the most priors on wins, then the first in table order (the
sweep file's order). A prior counts as on when a key column whose name contains ``prior`` holds a value other than
empty, ``none``/``null``/``false``/``off`` or ``No…Prior``. An explicit ``--reference`` that matches nothing is
an error; a sweep-file reference that matches nothing in one settings group falls back to the default there (the
reason is printed beside the table).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, LLIEError
from .aggregate import Summary
from .sweep_facts import read_facts

_OFF = {"", "none", "null", "false", "off", "0", "no"}
#: config keys the store keeps under another column name
STORE_COLUMNS = {"experiment.method": "method"}


def parse_reference(pairs: list[str] | None) -> dict[str, Any]:
    """``['model.image_prior.type=HRNetPrior']`` → ``{'model.image_prior.type': 'HRNetPrior'}``."""
    wanted: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--reference '{pair}' must look like KEY=VALUE (e.g. model.image_prior.type=HRNetPrior)")
        wanted[key.strip()] = value.strip()
    return wanted


def sweep_reference(sweep_dir: str | Path) -> dict[str, Any] | None:
    """The ``reference`` mapping the sweep recorded in its directory (``sweep.json``, else ``sweep.yaml``), if any."""
    return read_facts(sweep_dir).reference or None


def same_value(stored: str, wanted: Any) -> bool:
    if stored == str(wanted) or stored.casefold() == str(wanted).casefold():
        return True
    try:
        return _loaded(stored) == _loaded(wanted)
    except yaml.YAMLError:
        return False


def _loaded(value: Any) -> Any:
    return yaml.safe_load(value) if isinstance(value, str) else value


def _component(value: str) -> str:
    """A stored value as a lower-case component name: ``'{"type":"NoPrior"}'`` → ``'noprior'``."""
    try:
        loaded = yaml.safe_load(value) if value else value
    except yaml.YAMLError:
        loaded = value
    if isinstance(loaded, dict):
        loaded = loaded.get("type", "")
    return str(loaded if loaded is not None else "none").strip().lower()


def priors_on(summary: Summary, row: str) -> int:
    count = 0
    for column in summary.keys.columns:
        if "prior" not in column.lower():
            continue
        value = _component(str(summary.keys.at[row, column]))
        if value not in _OFF and not (value.startswith("no") and value.endswith("prior")):
            count += 1
    return count


def _most_priors(summary: Summary, rows: list[str]) -> str:
    return max(rows, key=lambda r: (priors_on(summary, r), -rows.index(r)))


def store_column(key: str, columns: Any) -> str:
    """The results column a reference key is matched against (``experiment.method`` → ``method``)."""
    return key if key in columns else STORE_COLUMNS.get(key, key)


def matching_rows(summary: Summary, wanted: dict[str, Any], origin: str) -> list[str]:
    columns = {k: store_column(k, summary.keys.columns) for k in wanted}
    unknown = [k for k, column in columns.items() if column not in summary.keys.columns]
    if unknown:
        raise LLIEError(f"{origin}: unknown key(s) {', '.join(unknown)}; the results have "
                        f"{', '.join(summary.keys.columns)}")
    return [r for r in summary.rows
            if all(same_value(str(summary.keys.at[r, columns[k]]), v) for k, v in wanted.items())]


def choose_reference(summary: Summary, explicit: dict[str, Any] | None, from_sweep: dict[str, Any] | None
                     ) -> tuple[str, str]:
    """(reference row, one sentence saying why) for one settings group."""
    if explicit:
        rows = matching_rows(summary, explicit, "--reference")
        if not rows:
            raise LLIEError(f"--reference {_show(explicit)} matches no row of the results "
                            f"(rows: {', '.join(summary.rows)})")
        return _most_priors(summary, rows), f"chosen by --reference {_show(explicit)}"
    if from_sweep:
        try:
            rows = matching_rows(summary, from_sweep, "the sweep's reference")
        except LLIEError:
            rows = []
        if rows:
            return _most_priors(summary, rows), f"the sweep's reference {_show(from_sweep)}"
        return (_most_priors(summary, summary.rows),
                f"the sweep's reference {_show(from_sweep)} matches no row here, so the row with the most priors on")
    return _most_priors(summary, summary.rows), "the row with the most priors on (first row on a tie)"


def _show(mapping: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in mapping.items())
