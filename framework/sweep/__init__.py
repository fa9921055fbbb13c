"""Ablation sweeps: a sweep file (grid of config overrides × datasets × seeds) → cells with stable ids and run
directories → an executor (local processes or Slurm through submitit) → one tidy results table per sweep.

Modules, in the order a sweep flows through them: :mod:`.spec` (the sweep file), :mod:`.cells` (resolved configs,
ids, run directories), :mod:`.plan` (cells + statuses), :mod:`.launch` (the sweep lock and the run),
:mod:`.executors`, :mod:`.run_cell` (one cell, also ``python -m llie.sweep.run_cell RUN_DIR``) and
:mod:`.store` (``results.parquet``; :func:`~llie.sweep.store.rebuild` recreates it from the run directories).
"""
from .cells import Cell, build_cells, cell_id
from .plan import PlannedCell, SweepPlan, make_plan
from .spec import SweepSpec, load_sweep
from .store import read_store, rebuild

__all__ = ["Cell", "PlannedCell", "SweepPlan", "SweepSpec", "build_cells", "cell_id", "load_sweep", "make_plan",
           "read_store", "rebuild"]
