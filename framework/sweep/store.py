"""The results store: one tidy table per sweep, ``work_dirs/<sweep>/results.parquet`` (and ``results.csv``).

One row per (cell, dataset, seed, metric, protocol, gt_mean) — see :data:`FIXED_COLUMNS` — plus one string column
per config key the sweep varies, named exactly as the dotted key. ``dataset`` is where the number was measured:
the cell's own test split (``train_dataset`` equal, ``extra_eval`` false) or an extra evaluation set of the sweep
(``extra_eval`` true; ``train_dataset`` names the data the model was trained on). ``higher_is_better`` says which
way the metric points (:data:`HIGHER_IS_BETTER`), so reports never rank a lower-is-better metric such as NIQE as if
it were PSNR. Every row derives from one cell's ``metrics.json``
(:func:`rows_from_metrics`), so the table can always be rebuilt from the run directories (:func:`rebuild`).

Writes are atomic and serialised: under an exclusive lock (``.results.lock``) the whole new table is written to a
temporary file in the same folder and renamed over the old one, so concurrent workers never lose rows and a crash
never leaves half a table (a writer killed mid-write leaves the previous table and a stray temporary file, which the
next writer removes). A cell's rows are replaced when it is stored again, never duplicated. The Parquet file is
the source of truth; the CSV is its mirror, rewritten on every append.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .locks import exclusive

PARQUET = "results.parquet"
CSV = "results.csv"
LOCK = ".results.lock"
#: the metrics a cell's results may carry, and which way each is better (a result may name more, with their
#: direction, under its own ``higher_is_better`` mapping: e.g. a plugin's no-reference metric)
HIGHER_IS_BETTER: dict[str, bool] = {"psnr": True, "ssim": True, "delta_e": False, "niqe": False}

#: Text columns that may hold missing values: pandas 3's "str" keeps them missing (NaN); pandas 2's would write 'None'.
TEXT = "str" if int(pd.__version__.split(".")[0]) >= 3 else "object"
#: Fixed columns and their pandas dtypes, in table order. ``prior_cache_mode`` says which prior features a cell saw
#: (``off``, ``exact``, ``window``, ``+float16``: :func:`llie.cache.settings.fidelity_label`); missing for cells
#: finished before it was recorded.
FIXED_COLUMNS: dict[str, str] = {
    "sweep": "str", "cell_id": "str", "method": "str", "dataset": "str", "train_dataset": "str",
    "extra_eval": "bool", "seed": "int64", "metric": "str", "value": "float64", "higher_is_better": "bool",
    "protocol": "str", "gt_mean": "bool", "crop_border": "int64", "y_channel": "bool",
    "n_images": "int64", "params": "int64", "trainable_params": "int64", "flops_g": "float64",
    "train_time_s": "float64", "eval_time_s": "float64", "peak_rss_mib": "float64", "run_dir_bytes": "float64",
    "prior_cache_mode": TEXT, "finished_at": "str",
}
SORT_KEYS = ["cell_id", "dataset", "seed", "protocol", "gt_mean", "crop_border", "y_channel", "metric"]


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def rows_from_metrics(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The store rows of one finished cell, from its ``metrics.json`` content."""
    common = {"sweep": metrics["sweep"], "cell_id": metrics["cell_id"], "method": metrics["method"],
              "train_dataset": metrics["dataset"], "seed": int(metrics["seed"]),
              "params": int(metrics["params"]), "trainable_params": int(metrics["trainable_params"]),
              "flops_g": _number(metrics.get("flops_g")), "train_time_s": _number(metrics.get("train_time_s")),
              "peak_rss_mib": _number(metrics.get("peak_rss_mib")),
              "run_dir_bytes": _number(metrics.get("run_dir_bytes")),
              "prior_cache_mode": metrics.get("prior_cache_mode"), "finished_at": metrics["finished_at"]}
    rows = []
    for result in metrics["results"]:
        where = {"dataset": result.get("dataset", metrics["dataset"]), "extra_eval": bool(result.get("extra_eval"))}
        direction = {**HIGHER_IS_BETTER, **(result.get("higher_is_better") or {})}
        for metric in (m for m in direction if m in result):
            row = {**common, **where, "metric": metric, "value": _number(result[metric]),
                   "higher_is_better": bool(direction[metric]), "protocol": result["protocol"],
                   "gt_mean": bool(result["gt_mean"]), "crop_border": int(result.get("crop_border", 0)),
                   "y_channel": bool(result.get("y_channel", False)), "n_images": int(result["n_images"]),
                   "eval_time_s": _number(result.get("eval_time_s"))}
            row.update({k: v for k, v in (metrics.get("columns") or {}).items() if k not in FIXED_COLUMNS})
            rows.append(row)
    return rows


def normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed columns first with their dtypes, then the config-key columns (sorted, strings); rows sorted."""
    frame = frame.copy()
    for column, dtype in FIXED_COLUMNS.items():
        if column not in frame:
            frame[column] = pd.Series(dtype=dtype)
    extra = sorted(c for c in frame.columns if c not in FIXED_COLUMNS)
    frame = frame[[*FIXED_COLUMNS, *extra]].astype({**FIXED_COLUMNS, **{c: TEXT for c in extra}})
    return frame.sort_values(SORT_KEYS, kind="stable").reset_index(drop=True)


def table(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return normalize(pd.DataFrame(list(rows)))


def read_store(sweep_dir: str | Path) -> pd.DataFrame:
    """The sweep's table (empty, with the fixed columns, when nothing is stored yet)."""
    path = Path(sweep_dir) / PARQUET
    return normalize(pd.read_parquet(path)) if path.is_file() else table([])


def _replace(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _remove_stale_temporaries(sweep_dir: Path) -> None:
    """Temporary files of writers that were killed mid-write (SIGKILL skips their clean-up). Only called under the
    store lock, which a live writer holds for its whole write, so every such file belongs to a dead process."""
    for name in (PARQUET, CSV):
        for tmp in sweep_dir.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def _write(sweep_dir: Path, frame: pd.DataFrame) -> None:
    _remove_stale_temporaries(sweep_dir)
    _replace(sweep_dir / PARQUET, lambda p: frame.to_parquet(p, index=False))
    _replace(sweep_dir / CSV, lambda p: frame.to_csv(p, index=False))


def _lock(sweep_dir: Path):
    return exclusive(sweep_dir / LOCK, what="the results store lock", wait=True)


def store_cell(sweep_dir: str | Path, metrics: dict[str, Any]) -> pd.DataFrame:
    """Put one finished cell's rows into the store, replacing rows it had from an earlier run; returns the table."""
    sweep_dir = Path(sweep_dir)
    new = table(rows_from_metrics(metrics))
    with _lock(sweep_dir):
        old = read_store(sweep_dir)
        old = old[old["cell_id"] != metrics["cell_id"]]
        frame = normalize(pd.concat([f for f in (old, new) if len(f)], ignore_index=True)) if len(old) else new
        _write(sweep_dir, frame)
    return frame


def finished_metrics(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """Every readable ``<cell-id>/metrics.json`` under the sweep dir (written atomically, so complete or absent)."""
    out = []
    for path in sorted(Path(sweep_dir).glob("*/metrics.json")):
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    return out


def rebuild(sweep_dir: str | Path) -> pd.DataFrame:
    """Recreate ``results.parquet``/``.csv`` from the run directories' ``metrics.json`` files; returns the table."""
    sweep_dir = Path(sweep_dir)
    frame = table(row for metrics in finished_metrics(sweep_dir) for row in rows_from_metrics(metrics))
    with _lock(sweep_dir):
        _write(sweep_dir, frame)
    return frame
