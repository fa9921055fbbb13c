"""Executors: where the pending cells of a sweep run.

- ``local`` with ``workers: 1``: one cell after the other in this process (the engine's progress bars show).
- ``local`` with ``workers: N``: up to N cells at once, each in its own process
  (``python -m llie.sweep.run_cell RUN_DIR``, output in ``<run_dir>/cell.log``; ``OMP_NUM_THREADS`` defaults to
  the CPU count / N so workers do not fight over cores).
- ``slurm``: one submitit job array of the pending cells (``AutoExecutor`` with the partition, time limit, GPUs and
  array concurrency limit from the sweep file; submitit's files in ``<sweep_dir>/submitit/``, the job's log paths
  recorded in ``<run_dir>/slurm_job.json``). ``cluster: local`` or ``debug`` runs the same path on this machine.
  With ``wait: false`` the sweep returns once the array is submitted; rerun it later to see what is DONE.

A failed cell is reported with its id and log path and the others go on; the sweep reports every failure at the end.

Multi-GPU cells: see :mod:`llie.sweep.run_cell` (torchrun / Slurm ``tasks_per_node``; rank 0 evaluates and
stores).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .plan import PlannedCell
from .progress import SweepProgress
from .run_cell import ERROR_LOG, EXIT_BUSY, CellOutcome, run_cell_job, run_cell_safely
from .spec import ExecutorSpec

CELL_LOG = "cell.log"
SLURM_JOB_FILE = "slurm_job.json"


def run_sequential(cells: list[PlannedCell], progress: SweepProgress, *, cell_progress: bool = True
                   ) -> list[CellOutcome]:
    """Every cell in this process, in order."""
    outcomes = []
    for planned in cells:
        progress.started(planned.cell.cell_id, planned.label)
        outcome = run_cell_safely(planned.run_dir, progress=cell_progress)
        progress.finished(outcome, planned.label)
        outcomes.append(outcome)
    return outcomes


def _worker_env(workers: int) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def _outcome_of_process(planned: PlannedCell, returncode: int, log: Path, seconds: float) -> CellOutcome:
    cell_id, run_dir = planned.cell.cell_id, planned.run_dir
    if returncode == 0:
        return CellOutcome(cell_id, run_dir, "done", seconds=seconds, log_path=log)
    if returncode == EXIT_BUSY:
        return CellOutcome(cell_id, run_dir, "busy", "it is being run by another process", log, seconds)
    error = run_dir / ERROR_LOG
    lines = [ln for ln in error.read_text().splitlines() if ln.strip()] if error.is_file() else []
    message = lines[-1] if lines else f"worker exited with status {returncode}"
    return CellOutcome(cell_id, run_dir, "failed", message, log, seconds)


def run_processes(cells: list[PlannedCell], workers: int, progress: SweepProgress, *, poll_s: float = 0.2
                  ) -> list[CellOutcome]:
    """Up to ``workers`` cells at once, one process each."""
    queue = list(cells)
    running: dict[int, tuple[subprocess.Popen, PlannedCell, float, object]] = {}
    outcomes = []
    env = _worker_env(workers)
    try:
        while queue or running:
            while queue and len(running) < workers:
                planned = queue.pop(0)
                log = open(planned.run_dir / CELL_LOG, "a")
                cmd = [sys.executable, "-m", "llie.sweep.run_cell", str(planned.run_dir.resolve()),
                       "--no-progress"]
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
                running[proc.pid] = (proc, planned, time.perf_counter(), log)
                progress.started(planned.cell.cell_id, planned.label, running=len(running))
            time.sleep(poll_s)
            for pid, (proc, planned, start, log) in list(running.items()):
                if proc.poll() is None:
                    continue
                log.close()
                del running[pid]
                outcome = _outcome_of_process(planned, proc.returncode, planned.run_dir / CELL_LOG,
                                              time.perf_counter() - start)
                progress.finished(outcome, planned.label, running=len(running))
                outcomes.append(outcome)
    finally:  # interrupted: let the workers finish their current step (they resume on the next run)
        for proc, _, _, log in running.values():
            proc.wait()
            log.close()
    return outcomes


# ---- Slurm through submitit ------------------------------------------------------------------------------------
def submitit_executor(spec: ExecutorSpec, folder: Path, name: str):
    """A submitit ``AutoExecutor`` configured from the sweep file's ``executor`` section."""
    import submitit

    executor = submitit.AutoExecutor(folder=str(folder), cluster=spec.cluster)
    params: dict = {"name": f"llie-{name}", "timeout_min": spec.time_min, "gpus_per_node": spec.gpus_per_node,
                    "nodes": spec.nodes, "tasks_per_node": spec.tasks_per_node}
    if spec.cpus_per_task is not None:
        params["cpus_per_task"] = spec.cpus_per_task
    if spec.mem_gb is not None:
        params["mem_gb"] = spec.mem_gb
    if spec.partition is not None:
        params["slurm_partition"] = spec.partition
    if spec.array_parallelism is not None:
        params["slurm_array_parallelism"] = spec.array_parallelism
    params.update(spec.extra)
    executor.update_parameters(**params)
    return executor


def _job_outcome(job, planned: PlannedCell, start: float) -> CellOutcome:
    log = Path(str(job.paths.stderr))
    try:
        outcome = job.result()
    except Exception as exc:  # the job died outside run_cell (time limit, node failure, cancelled)
        line = str(exc).strip().splitlines()
        return CellOutcome(planned.cell.cell_id, planned.run_dir, "failed",
                           f"job {job.job_id}: {line[-1] if line else type(exc).__name__}", log,
                           time.perf_counter() - start)
    if outcome.status == "failed" and outcome.log_path is None:
        outcome.log_path = log
    return outcome


def run_slurm(cells: list[PlannedCell], spec: ExecutorSpec, sweep_dir: Path, name: str, progress: SweepProgress
              ) -> list[CellOutcome]:
    """Submit the cells as one job array; wait for them unless ``wait: false``."""
    executor = submitit_executor(spec, sweep_dir / "submitit", name)
    jobs = executor.map_array(run_cell_job, [str(c.run_dir.resolve()) for c in cells])
    start = time.perf_counter()
    for job, planned in zip(jobs, cells):
        record = {"job_id": job.job_id, "stdout": str(job.paths.stdout), "stderr": str(job.paths.stderr),
                  "cluster": spec.cluster}
        (planned.run_dir / SLURM_JOB_FILE).write_text(json.dumps(record, indent=2))
        progress.started(planned.cell.cell_id, f"{planned.label} (job {job.job_id})", running=len(cells))
    if not spec.wait:
        progress.console.print(f"submitted {len(jobs)} jobs ({jobs[0].job_id.split('_')[0] if jobs else '-'}); "
                               "rerun the sweep later to collect what is DONE")
        return []
    outcomes = []
    pending = list(zip(jobs, cells))
    while pending:
        for item in list(pending):
            job, planned = item
            if job.done():
                pending.remove(item)
                outcome = _job_outcome(job, planned, start)
                progress.finished(outcome, planned.label, running=len(pending))
                outcomes.append(outcome)
        if pending:
            time.sleep(spec.poll_s if spec.cluster == "slurm" else min(spec.poll_s, 0.5))
    return outcomes


def execute(cells: list[PlannedCell], spec: ExecutorSpec, sweep_dir: Path, name: str, progress: SweepProgress,
            *, cell_progress: bool = True) -> list[CellOutcome]:
    """Run ``cells`` (prepared run directories) with the executor ``spec`` describes."""
    if not cells:
        return []
    if spec.type == "slurm":
        return run_slurm(cells, spec, sweep_dir, name, progress)
    if spec.workers > 1:
        return run_processes(cells, spec.workers, progress)
    return run_sequential(cells, progress, cell_progress=cell_progress)
