"""Reading a sweep's results store (``results.parquet``, else ``results.csv``) into one normalised DataFrame.

The store is written by ``llie sweep`` (schema in the sweep docs): one tidy row per (cell, dataset, seed, metric,
protocol, gt_mean), plus one column per overridden dotted config key. Here we only read it, coerce the column types
the CSV round trip loses (booleans, numbers, override values as strings) and fail with one clear line when there is
nothing to report.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import LLIEError

PARQUET = "results.parquet"
CSV = "results.csv"

#: columns a store must have for a report
REQUIRED = ("method", "dataset", "seed", "metric", "value", "protocol", "gt_mean")
#: columns of the store schema that are not override keys, with the type each is coerced to
SCHEMA: dict[str, str] = {
    "sweep": "str", "cell_id": "str", "method": "str", "dataset": "str", "seed": "int", "metric": "str",
    "value": "float", "protocol": "str", "gt_mean": "bool", "crop_border": "int", "y_channel": "bool",
    "n_images": "int", "params": "float", "trainable_params": "float", "flops_g": "float",
    "train_time_s": "float", "eval_time_s": "float", "peak_rss_mib": "float", "run_dir_bytes": "float",
    "finished_at": "str",
}
#: defaults for optional schema columns an older or hand-made store may lack
DEFAULTS = {"crop_border": 0, "y_channel": False, "params": float("nan"), "flops_g": float("nan"),
            "finished_at": ""}

_TRUE = {"true", "1", "yes", "y", "t"}


def key_columns(frame: pd.DataFrame) -> list[str]:
    """The override-key columns: everything that is not part of the fixed schema (in store order)."""
    return [c for c in frame.columns if c not in SCHEMA]


def rebuild_store(sweep_dir: str | Path) -> None:
    """Rebuild ``results.parquet`` from the run directories, through the sweep package (imported only now)."""
    try:
        from ..sweep.store import rebuild  # type: ignore[import-not-found]
    except ImportError as exc:
        raise LLIEError(f"--rebuild needs llie.sweep.store.rebuild, which cannot be imported here "
                        f"({exc}); rerun without --rebuild or update the installation") from None
    rebuild(Path(sweep_dir))


def load_results(sweep_dir: str | Path) -> pd.DataFrame:
    """The sweep's results as a typed DataFrame (parquet preferred; the CSV copy when parquet is absent or
    unreadable)."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise LLIEError(f"sweep directory {sweep_dir} does not exist; run `llie sweep` first")
    frame = _read(sweep_dir)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise LLIEError(f"{sweep_dir / PARQUET}: the results store lacks the column(s) {', '.join(missing)}; "
                        f"rebuild it with `llie report {sweep_dir} --rebuild`")
    frame = normalise(frame)
    if frame.empty:
        raise LLIEError(f"the results store in {sweep_dir} has no metric values yet; run `llie sweep` first")
    return frame


def _read(sweep_dir: Path) -> pd.DataFrame:
    parquet, csv = sweep_dir / PARQUET, sweep_dir / CSV
    frame: pd.DataFrame | None = None
    problem = ""
    if parquet.is_file():
        try:
            frame = pd.read_parquet(parquet)
        except Exception as exc:  # a damaged file: the CSV copy may still be fine
            problem = f" ({parquet} is unreadable: {type(exc).__name__})"
    if frame is None and csv.is_file():
        try:
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        except Exception as exc:
            problem += f" ({csv} is unreadable: {type(exc).__name__})"
    if frame is None:
        raise LLIEError(f"no results store in {sweep_dir} (looked for {PARQUET} and {CSV}){problem}; "
                        f"run `llie sweep` first")
    if frame.empty:
        raise LLIEError(f"the results store in {sweep_dir} has no rows yet; run `llie sweep` first")
    return frame


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce schema columns to their types, fill optional columns, make override values strings ('' = unset)."""
    out = frame.copy()
    for column, default in DEFAULTS.items():
        if column not in out.columns:
            out[column] = default
    for column, kind in SCHEMA.items():
        if column not in out.columns:
            continue
        if kind == "float":
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
        elif kind == "int":
            out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype(int)
        elif kind == "bool":
            out[column] = out[column].map(_as_bool)
        else:
            out[column] = out[column].map(_as_text)
    for column in key_columns(out):
        out[column] = out[column].map(_as_text)
    if "cell_id" not in out.columns:
        out["cell_id"] = out["method"] + "/" + out["dataset"] + "/" + out["seed"].astype(str)
    out["metric"] = out["metric"].str.lower()
    return out.dropna(subset=["value"]).reset_index(drop=True)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value) if value is not None and not (isinstance(value, float) and pd.isna(value)) else False


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)
