"""Zoo weights a sweep's cells need, and leaving out the cells whose weights cannot be had on this machine.

A cell needs a zoo file when a ``pretrained:`` value anywhere in its resolved config is a zoo name (``espnetv2_voc``)
or a path that does not exist whose file name is a zoo file — what :func:`llie.zoo.resolve_weights` would look up
when the cell builds its model. With ``missing_weights: skip`` (sweep file) or ``--missing-weights skip``, each such
file is looked for before anything runs (:func:`llie.zoo.find_local`); one that is absent is downloaded when the
machine may (``$LLIE_OFFLINE`` unset and the host reachable), and when it cannot be had, the cells needing it are
left out of the plan — neither run nor marked failed — with one line naming the methods, the zoo name, the file, where
to put it and ``llie weights fetch NAME``. The default, ``fail``, lets such a cell fail with that line as its error.

Cells already DONE are not checked: their results are stored, and reports need no weights.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..zoo import ZOO, WeightsUnavailable, ZooEntry, entry_for_file, fetch, find_local, suggested_dir
from ..zoo.download import OFFLINE_ENV, offline, unavailable_message
from ..zoo.resolve import looks_like_name
from .plan import PlannedCell, SweepPlan

PRETRAINED_KEY = "pretrained"


def zoo_entry(value: Any) -> ZooEntry | None:
    """The zoo entry a ``pretrained:`` value stands for (a zoo name, or a missing path named like a zoo file)."""
    if not isinstance(value, str) or not value:
        return None
    if value in ZOO:
        return ZOO[value]
    if looks_like_name(value):
        return None  # an unknown name: the cell fails naming the closest ones (not a missing file)
    path = Path(value).expanduser()
    return None if path.exists() else entry_for_file(path.name)


def needed_weights(config: Any) -> list[ZooEntry]:
    """Zoo entries named by ``pretrained:`` values anywhere in ``config`` (nested dicts and lists), in order."""
    found: list[ZooEntry] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                entry = zoo_entry(value) if key == PRETRAINED_KEY else None
                if entry is not None and entry not in found:
                    found.append(entry)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return found


@dataclass
class MissingWeights:
    """A zoo file that is not on this machine, why it cannot be had now, and the cells that need it."""

    entry: ZooEntry
    reason: str
    cells: list[PlannedCell] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(c.cell.method for c in self.cells))

    def line(self, verb: str = "left out") -> str:
        """``left out: M1, M2 (n cells): weights 'name' (file) are not on this machine and …; download … into …
        (or run `llie weights fetch name` when online)``."""
        what = f"{verb}: {', '.join(self.methods)} ({len(self.cells)} cell{'s' * (len(self.cells) != 1)})"
        return unavailable_message(self.entry, what, suggested_dir(), self.reason)


def _unavailable_reason(entry: ZooEntry, download: bool) -> str | None:
    """None when ``entry`` is (now) on this machine; else why it is not."""
    if find_local(entry) is not None:
        return None
    if offline():
        return f"{OFFLINE_ENV}=1 forbids downloading"
    if not download:
        return "was not downloaded (a dry run fetches nothing; the run downloads it when the host is reachable)"
    try:
        fetch(entry)
    except WeightsUnavailable as exc:  # unreachable host, HTTP error (a corrupt transfer is an error, not this)
        return exc.reason or str(exc)
    return None


def find_missing_weights(plan: SweepPlan, *, download: bool = True) -> list[MissingWeights]:
    """The zoo files the plan's cells not DONE need and this machine lacks (downloading them first when
    ``download`` and allowed), each with the cells that need it."""
    by_name: dict[str, MissingWeights] = {}
    checked: dict[str, str | None] = {}
    for planned in plan.cells:
        if planned.status == "DONE":
            continue
        for entry in needed_weights(planned.cell.config):
            if entry.name not in checked:
                checked[entry.name] = _unavailable_reason(entry, download)
            reason = checked[entry.name]
            if reason is not None:
                by_name.setdefault(entry.name, MissingWeights(entry, reason)).cells.append(planned)
    return list(by_name.values())


def leave_out(plan: SweepPlan, missing: list[MissingWeights]) -> None:
    """Drop the cells of ``missing`` from ``plan`` (they are then neither run nor listed in ``sweep.json``)."""
    dropped = {id(c) for m in missing for c in m.cells}
    plan.cells = [c for c in plan.cells if id(c) not in dropped]
