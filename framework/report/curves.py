"""Training curves from mmengine's scalar logs: ``<run dir>/<timestamp>/vis_data/scalars.json`` (JSON lines).

A resumed cell has one timestamped folder per start; their lines are merged and, where two starts logged the same
step, the later start wins. Only training lines (those with a ``loss`` key) are kept; the step is ``step`` (mmengine's
global iteration), else ``iter``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SCALARS_GLOB = "**/vis_data/scalars.json"


def scalar_files(run_dir: str | Path) -> list[Path]:
    """The run's scalar logs, oldest start first (timestamped folder names sort by time)."""
    return sorted(Path(run_dir).glob(SCALARS_GLOB), key=lambda p: (p.parent.parent.name, str(p)))


def read_losses(run_dir: str | Path) -> pd.DataFrame:
    """Columns ``step``, ``term`` (``loss`` or ``loss_<name>``), ``value``; empty when nothing was logged."""
    records = []
    for order, path in enumerate(scalar_files(run_dir)):
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a killed run
            if not isinstance(entry, dict) or "loss" not in entry:
                continue
            step = entry.get("step", entry.get("iter"))
            if step is None:
                continue
            for key, value in entry.items():
                if (key == "loss" or key.startswith("loss_")) and isinstance(value, (int, float)):
                    records.append({"order": order, "step": int(step), "term": key, "value": float(value)})
    if not records:
        return pd.DataFrame(columns=["step", "term", "value"])
    frame = pd.DataFrame.from_records(records).sort_values(["order", "step"], kind="stable")
    frame = frame.drop_duplicates(subset=["step", "term"], keep="last")
    return frame.drop(columns="order").sort_values(["term", "step"]).reset_index(drop=True)


def collect_curves(sweep_dir: str | Path, cells: pd.DataFrame) -> pd.DataFrame:
    """Losses of every cell in ``cells`` (columns ``cell_id``, ``row``, ``dataset``, ``seed``), stacked."""
    parts = []
    for cell in cells.drop_duplicates("cell_id").itertuples(index=False):
        losses = read_losses(Path(sweep_dir) / str(cell.cell_id))
        if losses.empty:
            continue
        parts.append(losses.assign(row=cell.row, dataset=cell.dataset, seed=cell.seed, cell_id=cell.cell_id))
    if not parts:
        return pd.DataFrame(columns=["step", "term", "value", "row", "dataset", "seed", "cell_id"])
    return pd.concat(parts, ignore_index=True)
