"""Run a sweep plan: take the sweep lock, prepare the run directories of the cells not DONE, hand them to the
executor, and report what happened.

One sweep process per sweep dir: a second one fails at once naming the holder (pid, host, start time) of
``<sweep_dir>/.lock``. Cells are also locked one by one while they run, so jobs that outlive their sweep process
(Slurm jobs, orphaned workers) are never run twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..engine.safety import check_output_dir
from .cells import prepare_run_dir, write_atomic
from .executors import execute
from .locks import sweep_lock
from .plan import SweepPlan
from .progress import SweepProgress
from .run_cell import CellOutcome
from .spec import ExecutorSpec

SWEEP_SUMMARY = "sweep.json"


@dataclass
class SweepResult:
    plan: SweepPlan
    outcomes: list[CellOutcome] = field(default_factory=list)

    def with_status(self, status: str) -> list[CellOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[CellOutcome]:
        return self.with_status("failed")

    @property
    def ok(self) -> bool:
        return not self.failed


def write_summary(plan: SweepPlan) -> Path:
    """``<sweep_dir>/sweep.json``: the sweep's varied keys, reference row, datasets, seeds and cells, for reports."""
    summary = plan.spec.summary()
    summary["cells"] = [{"cell_id": p.cell.cell_id, "method": p.cell.method, "dataset": p.cell.dataset,
                         "seed": p.cell.seed, "overrides": p.cell.overrides, "columns": p.cell.columns}
                        for p in plan.cells]
    path = plan.sweep_dir / SWEEP_SUMMARY
    write_atomic(path, json.dumps(summary, indent=2, default=str))
    return path


def run_sweep(plan: SweepPlan, *, executor: ExecutorSpec | None = None, workers: int | None = None,
              progress: bool = True, cell_progress: bool | None = None) -> SweepResult:
    """Run every cell of ``plan`` that is not DONE; ``workers`` overrides the sweep file's executor (local, N)."""
    spec = executor or plan.spec.executor
    if workers is not None:
        spec = replace(ExecutorSpec(), workers=workers)
    check_output_dir(plan.sweep_dir)  # a read-only or mistyped --work-dir fails in one line before any cell
    with sweep_lock(plan.sweep_dir, plan.spec.name):
        write_summary(plan)
        plan.refresh()
        todo = plan.todo
        for planned in todo:
            if planned.status == "running":  # another process runs it: leave its files alone (it reports busy)
                continue
            prepare_run_dir(planned.cell, plan.sweep_dir, plan.spec, prior_cache=plan.prior_cache)
        live = spec.type == "slurm" or spec.workers > 1
        with SweepProgress(plan.spec.name, len(plan.cells), len(plan.cells) - len(todo), live=live,
                           enabled=progress) as bar:
            outcomes = execute(todo, spec, plan.sweep_dir, plan.spec.name, bar,
                               cell_progress=progress if cell_progress is None else cell_progress)
        plan.refresh()
    return SweepResult(plan, outcomes)
