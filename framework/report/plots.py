"""Seaborn figures of a sweep, drawn on matplotlib ``Figure`` objects (Agg canvas, no pyplot state) and saved as
PNG at 150 dpi: per-dataset PSNR/SSIM bars with the seed spread, ablation deltas as a heatmap, training curves,
and PSNR against FLOPs.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .aggregate import METRIC_LABELS, ROW, Summary, dataset_label, dataset_sort_key

DPI = 150


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path


def _palette(rows: list[str]) -> dict[str, tuple]:
    return dict(zip(rows, sns.color_palette("tab10" if len(rows) <= 10 else "husl", len(rows))))


def metric_bars(summary: Summary, path: Path) -> Path:
    """One panel per (metric, dataset): a bar per method at the seed mean, ± one std, and each seed as a dot."""
    rows, n_rows, n_cols = summary.rows, len(summary.metrics), len(summary.datasets)
    fig = _figure(max(3.2, 0.45 * len(rows) + 1.2) * n_cols, 3.2 * n_rows)
    axes = np.atleast_2d(fig.subplots(n_rows, n_cols, squeeze=False))
    palette = _palette(rows)
    for i, metric in enumerate(summary.metrics):
        for j, dataset in enumerate(summary.datasets):
            ax = axes[i, j]
            data = summary.seeds[(summary.seeds["metric"] == metric) & (summary.seeds["dataset"] == dataset)]
            if data.empty:
                ax.set_axis_off()
                continue
            sns.barplot(data=data, x=ROW, y="value", hue=ROW, order=rows, hue_order=rows, palette=palette,
                        errorbar="sd", capsize=0.2, legend=False, ax=ax)
            sns.stripplot(data=data, x=ROW, y="value", order=rows, color="black", size=3, jitter=0.15, ax=ax)
            low, high = float(data["value"].min()), float(data["value"].max())
            pad = max((high - low) * 0.6, abs(high) * 0.02, 1e-3)
            ax.set_ylim(max(0.0, low - pad), high + pad)
            ax.set_title(f"{dataset_label(dataset)} — {METRIC_LABELS[metric]}")
            ax.set_xlabel("")
            ax.set_ylabel(METRIC_LABELS[metric])
            ax.tick_params(axis="x", labelrotation=30)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
    fig.suptitle(f"Seed mean ± std, dots = seeds ({summary.settings.caption()})")
    return _save(fig, path)


def delta_matrix(summary: Summary, reference: str, metric: str = "psnr") -> pd.DataFrame:
    """Rows × datasets of ``metric`` mean minus the reference row's."""
    return pd.DataFrame({dataset_label(d): [summary.mean(r, d, metric) - summary.mean(reference, d, metric)
                                            for r in summary.rows] for d in summary.datasets},
                        index=summary.rows, dtype=float)


def ablation_heatmap(summary: Summary, reference: str, path: Path, metric: str = "psnr") -> Path:
    matrix = delta_matrix(summary, reference, metric)
    fig = _figure(1.6 + 1.3 * matrix.shape[1] + 0.08 * max(len(r) for r in matrix.index), 1.2 + 0.45 * len(matrix))
    ax = fig.subplots()
    finite = matrix.to_numpy()[np.isfinite(matrix.to_numpy())]
    limit = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    with warnings.catch_warnings():  # seaborn's own use of a matplotlib API being phased out
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        sns.heatmap(matrix, annot=True, fmt="+.2f", cmap="RdBu", center=0.0, vmin=-limit, vmax=limit,
                    linewidths=0.5, cbar_kws={"label": f"Δ {METRIC_LABELS[metric]}"}, ax=ax)
    ax.set_title(f"Δ {METRIC_LABELS[metric]} vs. {reference}")
    ax.set_ylabel("")
    return _save(fig, path)


def training_curves(curves: pd.DataFrame, path: Path, max_terms: int = 6) -> Path | None:
    """Loss against step, one row of panels per dataset and one column per loss term; line = seed mean, band = std.
    None when no cell logged a loss."""
    if curves.empty:
        return None
    datasets = sorted(curves["dataset"].unique(), key=dataset_sort_key)
    terms = ["loss"] + sorted(t for t in curves["term"].unique() if t != "loss")
    terms = [t for t in terms if t in set(curves["term"])][:max_terms]
    rows = sorted(curves["row"].unique(), key=lambda r: (r.casefold(), r))
    palette = _palette(rows)
    fig = _figure(3.6 * len(terms) + 1.8, 2.8 * len(datasets))
    axes = fig.subplots(len(datasets), len(terms), squeeze=False)
    for i, dataset in enumerate(datasets):
        for j, term in enumerate(terms):
            ax = axes[i, j]
            data = curves[(curves["dataset"] == dataset) & (curves["term"] == term)]
            if data.empty:
                ax.set_axis_off()
                continue
            sns.lineplot(data=data, x="step", y="value", hue="row", hue_order=[r for r in rows if r in set(
                data["row"])], palette=palette, errorbar="sd", ax=ax, legend=(i == 0 and j == len(terms) - 1))
            if (data["value"] > 0).all():
                ax.set_yscale("log")
            ax.set_title(f"{dataset_label(dataset)} — {term}")
            ax.set_ylabel(term)
    legend_ax = axes[0, len(terms) - 1]
    if legend_ax.get_legend() is not None:
        sns.move_legend(legend_ax, "upper left", bbox_to_anchor=(1.02, 1.0), title="")
    return _save(fig, path)


def psnr_vs_flops(summary: Summary, path: Path) -> Path | None:
    """Each method's PSNR (seed mean) per dataset against its GFLOPs; None when no FLOPs were measured."""
    if not summary.has_flops or "psnr" not in summary.metrics:
        return None
    points = pd.DataFrame([{"method": r, "dataset": dataset_label(d), "flops_g": summary.costs.at[r, "flops_g"],
                            "psnr": summary.mean(r, d, "psnr")} for r in summary.rows for d in summary.datasets])
    points = points.dropna()
    if points.empty:
        return None
    fig = _figure(6.5, 4.2)
    ax = fig.subplots()
    sns.scatterplot(data=points, x="flops_g", y="psnr", hue="method", style="dataset", s=70,
                    palette=_palette(summary.rows), ax=ax)
    if (points["flops_g"] > 0).all() and points["flops_g"].max() / max(points["flops_g"].min(), 1e-12) > 20:
        ax.set_xscale("log")
    ax.set_xlabel("GFLOPs (one 256×256 forward)")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"PSNR vs. FLOPs ({summary.settings.caption()})")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.02, 1.0))
    return _save(fig, path)

