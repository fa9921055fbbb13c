"""``llie sweep FILE [--dry-run] [--work-dir work_dirs] [--workers N] [--no-prior-cache] [--missing-weights skip]
[--set k=v]``.

Runs every cell of an ablation sweep that is not DONE yet (rerunning resumes), then the results are in
``<work-dir>/<sweep name>/results.parquet``. ``--dry-run`` lists the cells, their status and the disk each run dir
will take (estimated from the config: checkpoints kept + logs) without running; cells whose zoo weights are not on this
machine show as ``no weights``. With ``missing_weights: skip`` (sweep file or option) such cells are left out with one
line each (see :mod:`llie.sweep.weights`).
"""
from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..sweep.plan import SweepPlan

STATUS_STYLE = {"DONE": "green", "running": "cyan", "partial": "yellow", "pending": "dim", "no weights": "red"}
NO_WEIGHTS = "no weights"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run an ablation sweep (grid × datasets × seeds); resumable")
    p.add_argument("sweep_file", metavar="FILE", help="sweep YAML, e.g. experiments/ablations/demo.yaml")
    p.add_argument("--dry-run", action="store_true", help="list the cells and their status; run nothing")
    p.add_argument("--work-dir", default="work_dirs", help="parent of the sweep folder (default: work_dirs)")
    p.add_argument("--workers", type=int, help="run here with N worker processes (overrides the sweep's executor)")
    p.add_argument("--no-prior-cache", action="store_true", help="compute prior features afresh in every cell")
    add_missing_weights_arg(p)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value in every cell (changes the cell ids; '+key=v' adds)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=run)


def add_missing_weights_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--missing-weights", choices=("fail", "skip"), default=None,
                   help="cells whose zoo weights are absent and cannot be downloaded: 'skip' leaves them out with one "
                        "line each, 'fail' lets them fail (default: the sweep file's missing_weights, else fail)")


def skip_cells_without_weights(plan: "SweepPlan", policy: str | None) -> list[str]:
    """With policy ``skip`` (or the sweep file's ``missing_weights: skip``), leave out the cells whose zoo weights
    cannot be had (downloading what may be); the lines saying so."""
    from ..sweep.weights import find_missing_weights, leave_out

    if (policy or plan.spec.missing_weights) != "skip":
        return []
    missing = find_missing_weights(plan)
    leave_out(plan, missing)
    return [m.line() for m in missing]


def print_plan(plan: "SweepPlan", disk: "dict[str, int | None] | None" = None) -> None:
    """The cells and their status; with ``disk`` (cell id → estimated run-dir bytes) a disk column and its total."""
    from rich.console import Console
    from rich.table import Table

    from ..sweep.costs import human_bytes

    counts = ", ".join(f"{n} {s}" for s, n in sorted(plan.counts().items()))
    caption = None
    if disk is not None:
        known = [disk[p.cell.cell_id] for p in plan.cells if disk.get(p.cell.cell_id) is not None]
        todo = [disk[p.cell.cell_id] for p in plan.todo if disk.get(p.cell.cell_id) is not None]
        caption = (f"disk (est.): {human_bytes(sum(known))} for the sweep, {human_bytes(sum(todo))} for the cells "
                   f"not DONE (checkpoints kept + logs; the shared prior cache not included)")
    table = Table(title=f"sweep {plan.spec.name}: {len(plan.cells)} cells ({counts}) in {plan.sweep_dir}",
                  caption=caption)
    columns = ("id", "method", "overrides", "dataset", "seed", "status") + (("disk (est.)",) if disk else ())
    for column in columns:
        table.add_column(column, justify="right" if column in ("seed", "disk (est.)") else "left")
    for planned in plan.cells:
        cell = planned.cell
        style = STATUS_STYLE.get(planned.status, "")
        row = [cell.cell_id, cell.method, cell.describe_overrides(), cell.dataset, str(cell.seed),
               f"[{style}]{planned.status}[/{style}]" if style else planned.status]
        table.add_row(*row, *((human_bytes(disk.get(cell.cell_id)),) if disk else ()))
    console = Console()
    (console if console.is_terminal else Console(width=200)).print(table)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..sweep.plan import make_plan
    from ..sweep.spec import load_sweep

    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    spec = load_sweep(args.sweep_file)
    plan = make_plan(spec, args.work_dir, extra_overrides=args.overrides, prior_cache=not args.no_prior_cache)
    if args.dry_run:
        from ..sweep.costs import estimate_cell_bytes
        from ..sweep.weights import find_missing_weights

        missing = find_missing_weights(plan, download=False)
        for planned in (c for m in missing for c in m.cells):
            planned.status = NO_WEIGHTS
        memo: dict[str, int | None] = {}
        print_plan(plan, {p.cell.cell_id: estimate_cell_bytes(p.cell.config, memo, samples=spec.samples,
                                                             eval_sets=spec.eval_sets) for p in plan.cells})
        policy = args.missing_weights or spec.missing_weights
        for m in missing:
            print(m.line("would be left out" if policy == "skip" else "would fail"))
        return 0
    from ..sweep.launch import run_sweep

    for line in skip_cells_without_weights(plan, args.missing_weights):
        print(line)
    result = run_sweep(plan, workers=args.workers, progress=not args.no_progress)
    counts = plan.counts()
    busy = result.with_status("busy")
    print(f"sweep {spec.name}: {counts.get('DONE', 0)}/{len(plan.cells)} cells DONE "
          f"({len(result.with_status('done'))} run now, {len(result.failed)} failed"
          f"{f', {len(busy)} running elsewhere' if busy else ''}); results: {plan.sweep_dir / 'results.parquet'}")
    for outcome in result.failed:
        print(f"  failed: cell {outcome.cell_id}: {outcome.message} (log: {outcome.log_path})")
    return 1 if result.failed else 0
