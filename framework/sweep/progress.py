"""Sweep-level progress (cells done / total) on stderr, on top of the engine's per-cell training bars.

When cells run in this process, the engine draws its own live bars, and two live displays would overwrite each
other; the sweep then prints one status line per cell instead. When cells run elsewhere (worker processes, Slurm
jobs) the sweep draws a live bar.
"""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class SweepProgress:
    """``live=True``: a rich bar; ``live=False``: a line per started/finished cell; ``enabled=False``: failures only."""

    def __init__(self, name: str, total: int, already_done: int = 0, *, live: bool = False,
                 enabled: bool = True, console: Console | None = None) -> None:
        self.name, self.total, self.done = name, total, already_done
        self.failed = 0
        self.live, self.enabled = live and enabled, enabled
        self.console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> "SweepProgress":
        if self.live:
            self._progress = Progress(TextColumn("sweep {task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=self.console)
            self._progress.start()
            self._task = self._progress.add_task(self.name, total=self.total, completed=self.done, info="")
        elif self.enabled:
            self.console.print(f"sweep {self.name}: {self.done}/{self.total} cells DONE, "
                               f"{self.total - self.done} to run")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _info(self, running: int = 0) -> str:
        parts = [f"{running} running"] if running else []
        if self.failed:
            parts.append(f"[red]{self.failed} failed[/red]")
        return ", ".join(parts)

    def started(self, cell_id: str, label: str, running: int = 1) -> None:
        if self._progress is not None:
            self._progress.update(self._task, info=self._info(running))
        elif self.enabled:
            self.console.print(f"sweep {self.name} [{self.done + self.failed + 1}/{self.total}] cell {cell_id}: "
                               f"{label}")

    def finished(self, outcome: Any, label: str = "", running: int = 0) -> None:
        """Count one outcome (see :class:`~llie.sweep.run_cell.CellOutcome`); failures are always printed."""
        if outcome.status in ("done", "skipped"):
            self.done += 1
        elif outcome.status == "failed":
            self.failed += 1
        if outcome.status == "failed":
            self.console.print(f"[red]cell {outcome.cell_id} failed[/red] ({label}): {outcome.message}; "
                               f"log: {outcome.log_path}")
        elif outcome.status == "busy":
            self.console.print(f"[yellow]cell {outcome.cell_id} skipped[/yellow]: {outcome.message}")
        elif not self.live and self.enabled:
            self.console.print(f"sweep {self.name}: cell {outcome.cell_id} {outcome.status} "
                               f"in {outcome.seconds:.1f} s — {self.done}/{self.total} DONE")
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, info=self._info(running))
