"""A sweep plan: every cell of a sweep file with its run directory and status (``DONE``/``running``/``partial``/
``pending``) — what ``llie sweep --dry-run`` prints and what the executors work through."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .cells import Cell, build_cells, cell_status, run_dir
from .spec import SweepSpec


@dataclass
class PlannedCell:
    cell: Cell
    run_dir: Path
    status: str

    @property
    def label(self) -> str:
        return f"{self.cell.method} · {self.cell.dataset} · seed {self.cell.seed}"


@dataclass
class SweepPlan:
    spec: SweepSpec
    sweep_dir: Path
    cells: list[PlannedCell] = field(default_factory=list)
    prior_cache: bool = True

    @property
    def todo(self) -> list[PlannedCell]:
        """Cells not DONE yet, in plan order."""
        return [c for c in self.cells if c.status != "DONE"]

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.status for c in self.cells))

    def refresh(self) -> None:
        for planned in self.cells:
            planned.status = cell_status(planned.run_dir)


def make_plan(spec: SweepSpec, work_dir: str | Path = "work_dirs", *, extra_overrides: list[str] = (),
              prior_cache: bool = True) -> SweepPlan:
    """Resolve every cell of ``spec`` under ``<work_dir>/<sweep name>/`` and look up its status (nothing is run)."""
    sweep_dir = Path(work_dir) / spec.name
    cells = build_cells(spec, list(extra_overrides), prior_cache=prior_cache)
    planned = [PlannedCell(c, run_dir(sweep_dir, c), cell_status(run_dir(sweep_dir, c))) for c in cells]
    return SweepPlan(spec, sweep_dir, planned, prior_cache)
