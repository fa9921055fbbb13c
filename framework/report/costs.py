"""The cost table: what each row costs, next to what it scores — training time, evaluation time per image, trainable
and frozen parameters, FLOPs of one 256×256 forward and, when the store has them, peak memory and disk per run.

Costs belong to cells (one training run on one dataset and seed), not to evaluation settings, so there is one table
per report. Per row: ``Cells`` counts its cells; training time and disk are the mean per cell; evaluation time is the
total evaluation wall time over the total number of images evaluated (every protocol and evaluation set); parameters
and FLOPs are the median over cells (they do not differ between seeds); peak RSS is the maximum over cells. A column
is shown only when at least one row has a value in it.
"""
from __future__ import annotations

import math

import pandas as pd

from .aggregate import ROW
from .store import normalise
from .tables import Number, Table, cost_decimals

EVALUATION = ["cell_id", "dataset", "protocol", "gt_mean", "crop_border", "y_channel"]
#: (column of the cost frame, header) in table order
COLUMNS = (("train_min", "Train (min)"), ("eval_s_per_image", "Eval (s/image)"), ("trainable_m", "Trainable (M)"),
           ("frozen_m", "Frozen (M)"), ("flops_g", "FLOPs (G)"), ("peak_rss_mib", "Peak RSS (MiB)"),
           ("disk_mib", "Disk (MiB)"))


def cost_frame(frame: pd.DataFrame, rows: list[str]) -> pd.DataFrame:
    """Index ``rows`` → ``cells`` and the columns of :data:`COLUMNS` (NaN when unknown), from store lines that
    carry a ``ROW`` label."""
    frame = normalise(frame)  # optional columns a store may lack read as unknown
    cells = frame.drop_duplicates("cell_id").groupby(ROW)
    evaluations = frame.drop_duplicates(EVALUATION).groupby(ROW)
    params, trainable = cells["params"].median(), cells["trainable_params"].median()
    images = evaluations["n_images"].sum()
    out = pd.DataFrame({
        "cells": cells["cell_id"].count(),
        "train_min": cells["train_time_s"].mean() / 60.0,
        "eval_s_per_image": evaluations["eval_time_s"].sum(min_count=1) / images.where(images > 0),
        "trainable_m": trainable / 1e6,
        "frozen_m": (params - trainable) / 1e6,
        "flops_g": cells["flops_g"].median(),
        "peak_rss_mib": cells["peak_rss_mib"].max(),
        "disk_mib": cells["run_dir_bytes"].mean() / 2**20,
    })
    return out.reindex(rows)


def cost_table(costs: pd.DataFrame, sweep: str = "") -> Table:
    """The cost table of :func:`cost_frame`'s result (rows in its index order)."""
    present = [(key, header) for key, header in COLUMNS if costs[key].notna().any()]
    decimals = {key: cost_decimals(costs[key].dropna()) for key, _ in present}
    rows, records = [], []
    for row, values in costs.iterrows():
        cells = int(values["cells"]) if not math.isnan(values["cells"]) else 0
        rows.append([str(row), Number(float(cells), 0),
                     *(Number(float(values[key]), decimals[key]) for key, _ in present)])
        records.append({"method": row, "cells": cells, **{key: values[key] for key, _ in present}})
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in sweep) or "sweep"
    caption = (f"{sweep + ': ' if sweep else ''}cost per method; training time and disk are means per cell (one "
               f"training run), evaluation time is per image over every evaluation, parameters and FLOPs (one "
               f"256×256 forward) are per model, peak RSS is the maximum over cells")
    columns = ["Method", "Cells", *(header for _, header in present)]
    return Table(caption, f"tab:{name}-cost", [("", 1)] * (len(columns) - 1), columns, rows,
                 pd.DataFrame.from_records(records))
