"""From the tidy store to per-row statistics: one row per method (cells differing only in seed pooled), split by
evaluation settings so numbers measured under different protocols never meet in one table.

Row identity is the ``method`` label plus the override-key columns. When two different override combinations share
one method label, their rows are told apart by appending the keys that differ (``U-Net (model.x=1)``). Rows are
ordered by label (case-insensitive), datasets by the usual paper order (LOL-v1, LOL-v2-real, LOL-v2-syn, SID, SMID,
then others alphabetically). The spread over seeds is the sample standard deviation (ddof=1); with a single seed it is
NaN and tables show the mean alone. If one (row, dataset, seed, settings) was measured more than once (e.g. a cell
rerun after its config changed), the most recently finished measurement is kept and a note says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from .store import key_columns

METRICS = ("psnr", "ssim")
METRIC_LABELS = {"psnr": "PSNR", "ssim": "SSIM"}
#: decimals shown per metric (papers: PSNR 2, SSIM 3); best/second marks compare the shown values
DECIMALS = {"psnr": 2, "ssim": 3}
DATASET_ORDER = ("lolv1", "lolv2_real", "lolv2_syn", "sid", "smid", "synthetic")
DATASET_LABELS = {"lolv1": "LOL-v1", "lolv2_real": "LOL-v2-real", "lolv2_syn": "LOL-v2-syn", "sid": "SID",
                  "smid": "SMID", "synthetic": "Synthetic"}
SETTING_COLUMNS = ("protocol", "gt_mean", "crop_border", "y_channel")
ROW = "row"


def dataset_label(name: str) -> str:
    return DATASET_LABELS.get(name, name)


def dataset_sort_key(name: str) -> tuple[int, str]:
    return (DATASET_ORDER.index(name), "") if name in DATASET_ORDER else (len(DATASET_ORDER), name.lower())


@dataclass(frozen=True)
class Settings:
    """How a number was measured; tables and plots are made once per distinct Settings."""

    protocol: str
    gt_mean: bool = False
    crop_border: int = 0
    y_channel: bool = False

    def caption(self) -> str:
        parts = [f"protocol {self.protocol}"]
        if self.gt_mean:
            parts.append("GT-mean scaling")
        if self.crop_border:
            parts.append(f"crop border {self.crop_border}")
        if self.y_channel:
            parts.append("Y channel")
        return ", ".join(parts)

    def slug(self) -> str:
        """A file-name-safe tag, e.g. ``retinexformer`` or ``basicsr-gtmean-crop4-y``."""
        parts = ["".join(ch if ch.isalnum() else "_" for ch in self.protocol)]
        if self.gt_mean:
            parts.append("gtmean")
        if self.crop_border:
            parts.append(f"crop{self.crop_border}")
        if self.y_channel:
            parts.append("y")
        return "-".join(parts)


@dataclass
class Summary:
    """Everything the tables and plots need for one Settings group.

    stats: index (row, dataset, metric) → mean, std, n (number of seeds).
    seeds: one line per (row, dataset, metric, seed) with its value and cell_id (for spreads and per-cell files).
    costs: index row → params_m, flops_g (NaN when unknown). keys: index row → method and override-key values.
    """

    sweep: str
    settings: Settings
    rows: list[str]
    datasets: list[str]
    metrics: list[str]
    stats: pd.DataFrame
    seeds: pd.DataFrame
    costs: pd.DataFrame
    keys: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def mean(self, row: str, dataset: str, metric: str) -> float:
        return self._stat(row, dataset, metric, "mean")

    def std(self, row: str, dataset: str, metric: str) -> float:
        return self._stat(row, dataset, metric, "std")

    def _stat(self, row: str, dataset: str, metric: str, what: str) -> float:
        try:
            return float(self.stats.at[(row, dataset, metric), what])
        except KeyError:
            return math.nan

    @property
    def has_params(self) -> bool:
        return bool(self.costs["params_m"].notna().any())

    @property
    def has_flops(self) -> bool:
        return bool(self.costs["flops_g"].notna().any())


def row_labels(frame: pd.DataFrame) -> pd.Series:
    """The row label of every store line: its method, made unique across differing override combinations."""
    keys = key_columns(frame)
    combos = frame[["method", *keys]].drop_duplicates()
    label_of: dict[tuple, str] = {}
    for method, same in combos.groupby("method", sort=False):
        if len(same) == 1:
            label_of[tuple(same.iloc[0])] = str(method)
            continue
        differing = [k for k in keys if same[k].nunique() > 1]
        for _, combo in same.iterrows():
            detail = ", ".join(f"{k}={combo[k] or '-'}" for k in differing)
            label_of[tuple(combo)] = f"{method} ({detail})"
    return pd.Series([label_of[tuple(v)] for v in frame[["method", *keys]].itertuples(index=False, name=None)],
                     index=frame.index, dtype=str)


def summarise(frame: pd.DataFrame, sweep: str = "") -> list[Summary]:
    """One :class:`Summary` per evaluation-settings group (default settings first)."""
    frame = frame.copy()
    frame[ROW] = row_labels(frame)
    notes = []
    others = sorted(set(frame["metric"]) - set(METRICS))
    if others:
        notes.append(f"metrics other than PSNR/SSIM are not tabulated: {', '.join(others)}")
    frame = frame[frame["metric"].isin(METRICS)]
    ident = [ROW, "dataset", "seed", "metric", *SETTING_COLUMNS]
    ordered = frame.sort_values("finished_at", kind="stable")
    deduped = ordered.drop_duplicates(subset=ident, keep="last")
    repeated = ordered[ordered.duplicated(subset=ident, keep="last")]
    if not repeated.empty:
        where = sorted({f"{r} / {d} / seed {s}" for r, d, s in repeated[[ROW, "dataset", "seed"]].itertuples(
            index=False, name=None)})
        notes.append(f"{len(repeated)} older duplicate measurement(s) ignored (kept the latest): "
                     + "; ".join(where[:5]) + (" …" if len(where) > 5 else ""))
    summaries = []
    groups = deduped.groupby(list(SETTING_COLUMNS), sort=False)
    for values, part in sorted(groups, key=lambda kv: (bool(kv[0][1]), kv[0][0] != "retinexformer", str(kv[0]))):
        settings = Settings(str(values[0]), bool(values[1]), int(values[2]), bool(values[3]))
        summaries.append(_summary(part, sweep, settings, notes))
    return summaries


def _summary(part: pd.DataFrame, sweep: str, settings: Settings, notes: list[str]) -> Summary:
    rows = sorted(part[ROW].unique(), key=lambda r: (r.casefold(), r))
    datasets = sorted(part["dataset"].unique(), key=dataset_sort_key)
    metrics = [m for m in METRICS if m in set(part["metric"])]
    grouped = part.groupby([ROW, "dataset", "metric"])["value"]
    stats = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()})
    seeds = part[[ROW, "dataset", "metric", "seed", "value", "cell_id"]].reset_index(drop=True)
    by_row = part.groupby(ROW)
    costs = pd.DataFrame({"params_m": by_row["params"].median() / 1e6, "flops_g": by_row["flops_g"].median()})
    keys = by_row[["method", *key_columns(part.drop(columns=[ROW]))]].first()
    return Summary(sweep, settings, list(rows), list(datasets), metrics, stats, seeds, costs.reindex(rows),
                   keys.reindex(rows), list(notes))
