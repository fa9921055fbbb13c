"""How far each gated model trusted its prior, image by image: gate value against the input's brightness.

Reads the ``per_image.csv`` of every cell: models with trust gates write one ``gate_s<scale>`` column per SEM scale
and the statistics the gates saw (``input_brightness``, …); cells without such columns are skipped. The per-image
rows repeat once per evaluation protocol with the same gate values, so only each image's first row is used.
Figure ``gates_vs_brightness.png``: one panel per (method, scale), one dot per test image and seed (colour = dataset,
marker = seed), mean luminance of the low-light input on a log axis.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import seaborn as sns
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from .aggregate import dataset_label
from .plots import _figure, _palette, _save

PER_IMAGE = "per_image.csv"
FIGURE = "gates_vs_brightness.png"
BRIGHTNESS = "input_brightness"
_GATE_COLUMN = re.compile(r"^gate_s(\d+)$")


def read_gates(per_image_csv: Path) -> pd.DataFrame:
    """Long table ``name, scale, gate, input_brightness`` of one cell; empty without gate columns."""
    columns = ["name", "scale", "gate", BRIGHTNESS]
    try:
        table = pd.read_csv(per_image_csv)
    except (OSError, pd.errors.EmptyDataError, pd.errors.ParserError):
        return pd.DataFrame(columns=columns)
    gate_columns = [c for c in table.columns if _GATE_COLUMN.match(str(c))]
    if not gate_columns or BRIGHTNESS not in table.columns or "name" not in table.columns:
        return pd.DataFrame(columns=columns)
    table = table.drop_duplicates("name")
    long = table.melt(id_vars=["name", BRIGHTNESS], value_vars=gate_columns, var_name="column", value_name="gate")
    long["scale"] = long["column"].map(lambda c: int(_GATE_COLUMN.match(c).group(1)))
    return long[columns].dropna()


def collect_gates(sweep_dir: str | Path, cells: pd.DataFrame) -> pd.DataFrame:
    """Gate rows of every cell in ``cells`` (columns ``cell_id``, ``row``, ``dataset``, ``seed``), stacked."""
    parts = []
    for cell in cells.drop_duplicates("cell_id").itertuples(index=False):
        gates = read_gates(Path(sweep_dir) / str(cell.cell_id) / PER_IMAGE)
        if not gates.empty:
            parts.append(gates.assign(row=cell.row, dataset=dataset_label(str(cell.dataset)), seed=cell.seed))
    if not parts:
        return pd.DataFrame(columns=["name", "scale", "gate", BRIGHTNESS, "row", "dataset", "seed"])
    return pd.concat(parts, ignore_index=True)


def gate_scatter(gates: pd.DataFrame, path: Path) -> Path | None:
    """The figure (see the module docstring); None when no cell reported gates."""
    if gates.empty:
        return None
    rows = sorted(gates["row"].unique(), key=lambda r: (str(r).casefold(), str(r)))
    scales = sorted(gates["scale"].unique())
    datasets = sorted(gates["dataset"].unique())
    gates = gates.assign(seed=gates["seed"].astype(str))
    seeds = sorted(gates["seed"].unique(), key=lambda s: (len(s), s))
    palette = _palette(datasets)
    fig = _figure(3.4 * len(scales) + 1.6, 2.8 * len(rows))
    axes = fig.subplots(len(rows), len(scales), squeeze=False)
    for i, row in enumerate(rows):
        for j, scale in enumerate(scales):
            ax = axes[i, j]
            data = gates[(gates["row"] == row) & (gates["scale"] == scale)]
            if data.empty:
                ax.set_axis_off()
                continue
            sns.scatterplot(data=data, x=BRIGHTNESS, y="gate", hue="dataset", hue_order=datasets, palette=palette,
                            style="seed", style_order=seeds, s=28, ax=ax, legend=(i == 0 and j == len(scales) - 1))
            if (data[BRIGHTNESS] > 0).all():
                ax.set_xscale("log")
                ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 0.01, 0.02, 0.05, 0.1 …
                ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_title(f"{row} — scale 1/{scale}\ngate {data['gate'].min():.3f}–{data['gate'].max():.3f}",
                         fontsize=9)
            ax.set_xlabel("input mean luminance")
            ax.set_ylabel("gate")
    legend_ax = axes[0, len(scales) - 1]
    if legend_ax.get_legend() is not None:
        sns.move_legend(legend_ax, "upper left", bbox_to_anchor=(1.02, 1.0), title="")
    fig.suptitle("Prior trust gate per test image vs. input brightness (y axis fitted to the values)")
    return _save(fig, path)


def write_gate_plot(sweep_dir: str | Path, cells: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write :data:`FIGURE` into ``out_dir`` when any cell has gates; the files written (none or one)."""
    path = gate_scatter(collect_gates(sweep_dir, cells), out_dir / FIGURE)
    return [] if path is None else [path]
