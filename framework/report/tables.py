"""Paper tables as data: the comparison table (mean ± std over seeds, best bold, second underlined) and the ablation
table (signed deltas to a reference row), each with a numeric twin for CSV. Rendering lives in ``formats``.

Best and second are decided per column on the values as shown (rounded to the column's decimals), in the direction
of the summary's metrics (higher for PSNR/SSIM, lower for a lower-is-better metric such as NIQE; a summary never
holds both); equal shown values share a mark, and the second mark goes to the next distinct value. Marks are only
given when at least two rows have a value in the column.

Model size is shown split: trainable parameters, and frozen ones (pretrained priors that are not trained), since a
prior's frozen weights cost memory and time but are not what the method learns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from .aggregate import Summary, metric_decimals, metric_label

BEST, SECOND = "best", "second"


@dataclass(frozen=True)
class Number:
    """A numeric cell: ``value`` (± ``spread`` when finite), shown with ``decimals``; ``signed`` shows a '+'."""

    value: float
    decimals: int
    spread: float = math.nan
    signed: bool = False
    mark: str | None = None


Cell = str | Number


@dataclass
class Table:
    """A two-level-header table: ``groups`` spans over ``columns[1:]`` (label '' = no group), then the rows."""

    caption: str
    label: str
    groups: list[tuple[str, int]]
    columns: list[str]
    rows: list[list[Cell]]
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: which way the grouped (metric) columns are better, for the arrows of the LaTeX header
    higher_is_better: bool = True


def cost_decimals(values: pd.Series) -> int:
    """Two decimals, or more (up to 4) so that the smallest non-zero value keeps two significant digits."""
    positive = values[values > 0]
    if positive.empty:
        return 2
    return int(min(4, max(2, 1 - math.floor(math.log10(float(positive.min()))))))


def _cost_columns(summary: Summary) -> list[tuple[str, str, int]]:
    """(column key, header, decimals) of the params/FLOPs columns present: trainable and frozen parameters when the
    trainable count is known, else the total."""
    cols = []
    if summary.has_trainable:
        cols += [(key, header, cost_decimals(summary.costs[key]))
                 for key, header in (("trainable_m", "Trainable (M)"), ("frozen_m", "Frozen (M)"))]
    elif summary.has_params:
        cols.append(("params_m", "Params (M)", cost_decimals(summary.costs["params_m"])))
    if summary.has_flops:
        cols.append(("flops_g", "FLOPs (G)", cost_decimals(summary.costs["flops_g"])))
    return cols


def _header(summary: Summary, extra: list[str]) -> tuple[list[tuple[str, int]], list[str]]:
    groups = [(summary.label(d), len(summary.metrics)) for d in summary.datasets] + [("", 1)] * len(extra)
    columns = ["Method"] + [metric_label(m) for _ in summary.datasets for m in summary.metrics] + extra
    return groups, columns


def column_marks(values: dict[str, float], decimals: int, higher_is_better: bool = True) -> dict[str, str]:
    """Row → 'best'/'second' for one column of means (compared as shown)."""
    shown = {row: round(v, decimals) for row, v in values.items() if not math.isnan(v)}
    if len(shown) < 2:
        return {}
    distinct = sorted(set(shown.values()), reverse=higher_is_better)
    marks = {row: BEST for row, v in shown.items() if v == distinct[0]}
    if len(distinct) > 1:
        marks.update({row: SECOND for row, v in shown.items() if v == distinct[1]})
    return marks


def _label(sweep: str, kind: str, summary: Summary) -> str:
    """A LaTeX/HTML-safe label such as ``tab:demo-comparison-retinexformer``."""
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in sweep) or "sweep"
    return f"tab:{name}-{kind}-{summary.settings.slug()}"


def _settings_columns(summary: Summary) -> dict[str, object]:
    s = summary.settings
    return {"protocol": s.protocol, "gt_mean": s.gt_mean, "crop_border": s.crop_border, "y_channel": s.y_channel}


def comparison_table(summary: Summary) -> Table:
    """Methods × (datasets × PSNR/SSIM), 'mean ± std' over seeds, plus params/FLOPs when known."""
    costs = _cost_columns(summary)
    groups, columns = _header(summary, [header for _, header, _ in costs])
    marks = {(d, m): column_marks({r: summary.mean(r, d, m) for r in summary.rows}, metric_decimals(m),
                                  summary.higher_is_better)
             for d in summary.datasets for m in summary.metrics}
    rows: list[list[Cell]] = []
    records = []
    for row in summary.rows:
        cells: list[Cell] = [row]
        record: dict[str, object] = {**_settings_columns(summary), "method": row}
        for key, _, _ in costs:
            record[key] = summary.costs.at[row, key]
        for d in summary.datasets:
            for m in summary.metrics:
                mean, std = summary.mean(row, d, m), summary.std(row, d, m)
                cells.append(Number(mean, metric_decimals(m), std, mark=marks[(d, m)].get(row)))
                n = summary.stats["n"].get((row, d, m), 0)
                record.update({f"{d}/{m}_mean": mean, f"{d}/{m}_std": std, f"{d}/{m}_seeds": int(n)})
        cells += [Number(float(summary.costs.at[row, key]), dec) for key, _, dec in costs]
        rows.append(cells)
        records.append(record)
    caption = (f"{summary.sweep}: comparison ({summary.settings.caption()}); mean ± std over seeds, "
               f"best in bold, second underlined" if summary.sweep else
               f"Comparison ({summary.settings.caption()}); mean ± std over seeds, best in bold, second underlined")
    return Table(_with_extra_note(caption, summary), _label(summary.sweep, "comparison", summary), groups, columns,
                 rows, pd.DataFrame.from_records(records), summary.higher_is_better)


def _with_extra_note(caption: str, summary: Summary) -> str:
    return f"{caption}. {summary.extra_note}" if summary.extra_note else caption


def ablation_table(summary: Summary, reference: str) -> Table:
    """Each row's difference to ``reference`` per dataset and metric (the reference row shows its own means)."""
    groups, columns = _header(summary, [])
    rows: list[list[Cell]] = []
    records = []
    for row in summary.rows:
        is_ref = row == reference
        cells: list[Cell] = [f"{row} (reference)" if is_ref else row]
        record: dict[str, object] = {**_settings_columns(summary), "method": row, "reference": is_ref}
        for d in summary.datasets:
            for m in summary.metrics:
                mean, ref = summary.mean(row, d, m), summary.mean(reference, d, m)
                delta = mean - ref
                decimals = metric_decimals(m)
                cells.append(Number(mean, decimals) if is_ref else Number(delta, decimals, signed=True))
                record.update({f"{d}/{m}_mean": mean, f"{d}/{m}_delta": delta})
        rows.append(cells)
        records.append(record)
    where = f"{summary.sweep}: " if summary.sweep else ""
    caption = (f"{where}ablation ({summary.settings.caption()}); differences of the seed means to the reference "
               f"row '{reference}', whose own values are shown")
    return Table(_with_extra_note(caption, summary), _label(summary.sweep, "ablation", summary), groups, columns,
                 rows, pd.DataFrame.from_records(records), summary.higher_is_better)


def tables_csv(tables: list[Table]) -> pd.DataFrame:
    """The numeric twins of several tables (one per settings group) stacked; each line names its settings."""
    return pd.concat([t.data for t in tables], ignore_index=True) if tables else pd.DataFrame()
