"""From the tidy store to per-row statistics: one row per method (cells differing only in seed pooled), split by
evaluation settings and by metric direction, so numbers measured under different protocols never meet in one table
and a lower-is-better metric (NIQE) never shares a table with PSNR/SSIM.

Row identity is the ``method`` label plus the override-key columns. When two different override combinations share
one method label, their rows are told apart by appending the keys that differ (``U-Net (model.x=1)``).

Row order: the sweep's own order (the order of the rows' cells in ``sweep.json``, i.e. in the sweep file; rows the
sweep file does not know come after, by label), with the baselines last. A row is a baseline when the sweep file
lists its method under ``baselines:`` or when its model has no trainable parameters (a training-free method such as
gamma correction or the untouched input). The builder then moves the ablation reference row to the top
(:meth:`Summary.lead_with`).

Columns: one per dataset, in the usual paper order (LOL-v1, LOL-v2-real, LOL-v2-syn, SID, SMID, Synthetic, then
others alphabetically), then one per extra evaluation set of the sweep and training dataset whose models it scored
(key ``<set>@<training dataset>``, label ``LOL sample (extra)``; the training dataset is named in the label when
several were). The spread over seeds is the sample standard deviation (ddof=1); with a single seed it is NaN and
tables show the mean alone. If one (row, dataset, seed, settings) was measured more than once (e.g. a cell rerun
after its config changed), the most recently finished measurement is kept and a note says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from .store import key_columns, normalise
from .sweep_facts import SweepFacts

#: known metrics in display order (others follow alphabetically, labelled in upper case with 3 decimals)
METRICS = ("psnr", "ssim", "delta_e", "niqe")
METRIC_LABELS = {"psnr": "PSNR", "ssim": "SSIM", "delta_e": "ΔE", "niqe": "NIQE"}
#: decimals shown per metric (papers: PSNR 2, SSIM 3); best/second marks compare the shown values
DECIMALS = {"psnr": 2, "ssim": 3, "delta_e": 2, "niqe": 3}
DATASET_ORDER = ("lolv1", "lolv2_real", "lolv2_syn", "sid", "smid", "synthetic")
DATASET_LABELS = {"lolv1": "LOL-v1", "lolv2_real": "LOL-v2-real", "lolv2_syn": "LOL-v2-syn", "sid": "SID",
                  "smid": "SMID", "synthetic": "Synthetic", "lol_sample": "LOL sample",
                  "synthetic_clean": "Synthetic (clean photos)", "dicm": "DICM", "lime": "LIME", "mef": "MEF",
                  "npe": "NPE", "vv": "VV", "dicm_sample": "DICM sample", "mef_sample": "MEF sample",
                  "npe_sample": "NPE sample"}
SETTING_COLUMNS = ("protocol", "gt_mean", "crop_border", "y_channel", "higher_is_better")
ROW = "row"
#: joins an extra evaluation set and the training dataset of the models it scored into one column key
EXTRA = "@"


def dataset_label(name: str) -> str:
    return DATASET_LABELS.get(name, name)


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.upper())


def metric_decimals(metric: str) -> int:
    return DECIMALS.get(metric, 3)


def dataset_sort_key(name: str) -> tuple[int, str]:
    return (DATASET_ORDER.index(name), "") if name in DATASET_ORDER else (len(DATASET_ORDER), name.lower())


def column_sort_key(key: str) -> tuple:
    """Training datasets first (paper order), then extra evaluation sets (``set@training dataset``)."""
    evaluated, sep, trained = key.partition(EXTRA)
    return (bool(sep), dataset_sort_key(evaluated), dataset_sort_key(trained) if sep else (0, ""))


def column_keys(frame: pd.DataFrame) -> pd.Series:
    """Each store line's column key: its dataset, or ``<set>@<training dataset>`` for an extra evaluation set."""
    extra = frame["extra_eval"].astype(bool)
    return frame["dataset"].where(~extra, frame["dataset"] + EXTRA + frame["train_dataset"])


@dataclass(frozen=True)
class Settings:
    """How a number was measured; tables and plots are made once per distinct Settings."""

    protocol: str
    gt_mean: bool = False
    crop_border: int = 0
    y_channel: bool = False
    higher_is_better: bool = True

    def caption(self) -> str:
        parts = [f"protocol {self.protocol}"]
        if self.gt_mean:
            parts.append("GT-mean scaling")
        if self.crop_border:
            parts.append(f"crop border {self.crop_border}")
        if self.y_channel:
            parts.append("Y channel")
        if not self.higher_is_better:
            parts.append("lower is better")
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
        if not self.higher_is_better:
            parts.append("lower")
        return "-".join(parts)


@dataclass
class Summary:
    """Everything the tables and plots need for one Settings group.

    datasets: column keys (see the module docstring; :meth:`label` names them).
    stats: index (row, dataset, metric) → mean, std, n (number of seeds).
    seeds: one line per (row, dataset, metric, seed) with its value and cell_id (for spreads and per-cell files).
    costs: index row → trainable_m, frozen_m, params_m (total), flops_g (NaN when unknown).
    keys: index row → method and override-key values. baselines: the rows listed last (see the module docstring).
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
    baselines: list[str] = field(default_factory=list)

    def label(self, key: str) -> str:
        """A column key as a header: ``LOL-v1``, ``LOL sample (extra)`` or, when several training datasets'
        models were scored on the set, ``LOL sample (extra; trained on LOL-v1)``."""
        evaluated, sep, trained = key.partition(EXTRA)
        if not sep:
            return dataset_label(key)
        several = sum(k.partition(EXTRA)[0] == evaluated for k in self.datasets if EXTRA in k) > 1
        return f"{dataset_label(evaluated)} (extra" + (f"; trained on {dataset_label(trained)})" if several else ")")

    @property
    def extra_note(self) -> str:
        """One sentence on the extra evaluation sets of this summary ('' when it has none)."""
        trained = sorted({k.partition(EXTRA)[2] for k in self.datasets if EXTRA in k}, key=dataset_sort_key)
        if not trained:
            return ""
        return ("'(extra)': an extra evaluation set of the sweep, not a training dataset; its models were trained on "
                + ", ".join(dataset_label(t) for t in trained))

    @property
    def higher_is_better(self) -> bool:
        return self.settings.higher_is_better

    def lead_with(self, row: str) -> "Summary":
        """The same summary with ``row`` (the ablation reference) moved to the top."""
        rows = [row, *(r for r in self.rows if r != row)] if row in self.rows else list(self.rows)
        return replace(self, rows=rows, costs=self.costs.reindex(rows), keys=self.keys.reindex(rows))

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
    def has_trainable(self) -> bool:
        return bool(self.costs["trainable_m"].notna().any())

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


def baseline_rows(frame: pd.DataFrame, facts: SweepFacts | None = None) -> set[str]:
    """Rows (``ROW`` labels of ``frame``) that are baselines: listed by method in the sweep's ``baselines`` or
    without trainable parameters."""
    listed = set(facts.baselines) if facts is not None else set()
    by_row = frame.groupby(ROW)
    trainable = by_row["trainable_params"].median()
    methods = by_row["method"].first()
    return {r for r in methods.index if methods[r] in listed or trainable.get(r) == 0}


def row_order(frame: pd.DataFrame, facts: SweepFacts | None = None) -> list[str]:
    """All ``ROW`` labels of ``frame`` in report order (see the module docstring)."""
    facts = facts or SweepFacts()
    cell_position = {cell: i for i, cell in enumerate(facts.cells)}
    method_position = {method: i for i, method in enumerate(facts.methods)}
    missing = len(facts.cells) + len(facts.methods)
    by_row = frame.groupby(ROW)
    first_cell = by_row["cell_id"].agg(lambda ids: min(cell_position.get(c, missing) for c in ids))
    methods = by_row["method"].first()
    baselines = baseline_rows(frame, facts)
    return sorted(methods.index, key=lambda r: (r in baselines, first_cell[r],
                                                method_position.get(methods[r], missing), r.casefold(), r))


def summarise(frame: pd.DataFrame, sweep: str = "", facts: SweepFacts | None = None) -> list[Summary]:
    """One :class:`Summary` per evaluation-settings group and metric direction (default settings first)."""
    frame = normalise(frame)
    frame[ROW] = row_labels(frame)
    frame["dataset"] = column_keys(frame)
    order = row_order(frame, facts)
    baselines = baseline_rows(frame, facts)
    notes = []
    if facts is not None and facts.baselines:
        unknown = sorted(set(facts.baselines) - set(frame["method"]))
        if unknown:
            notes.append(f"the sweep's baselines {', '.join(unknown)} match no method of the results")
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
    for values, part in sorted(groups, key=lambda kv: (not kv[0][4], bool(kv[0][1]), kv[0][0] != "retinexformer",
                                                       str(kv[0]))):
        settings = Settings(str(values[0]), bool(values[1]), int(values[2]), bool(values[3]), bool(values[4]))
        present = set(part[ROW])
        rows = [r for r in order if r in present]
        summaries.append(_summary(part, sweep, settings, notes, rows, [r for r in rows if r in baselines]))
    return summaries


def _metric_sort_key(metric: str) -> tuple[int, str]:
    return (METRICS.index(metric), "") if metric in METRICS else (len(METRICS), metric)


def _summary(part: pd.DataFrame, sweep: str, settings: Settings, notes: list[str], rows: list[str],
             baselines: list[str]) -> Summary:
    datasets = sorted(part["dataset"].unique(), key=column_sort_key)
    metrics = sorted(part["metric"].unique(), key=_metric_sort_key)
    grouped = part.groupby([ROW, "dataset", "metric"])["value"]
    stats = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()})
    seeds = part[[ROW, "dataset", "metric", "seed", "value", "cell_id"]].reset_index(drop=True)
    by_row = part.groupby(ROW)
    params, trainable = by_row["params"].median(), by_row["trainable_params"].median()
    costs = pd.DataFrame({"trainable_m": trainable / 1e6, "frozen_m": (params - trainable) / 1e6,
                          "params_m": params / 1e6, "flops_g": by_row["flops_g"].median()})
    keys = by_row[["method", *key_columns(part.drop(columns=[ROW]))]].first()
    return Summary(sweep, settings, list(rows), list(datasets), list(metrics), stats, seeds, costs.reindex(rows),
                   keys.reindex(rows), list(notes), baselines)
