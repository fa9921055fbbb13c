"""Seaborn figures of a sweep, drawn on matplotlib ``Figure`` objects (Agg canvas, no pyplot state) and saved as
PNG at 150 dpi: per-dataset PSNR/SSIM bars with the seed spread, ablation deltas as a heatmap, training curves,
and PSNR against FLOPs. Each ``*_figure`` function returns the figure; the function without the suffix saves it.

Titles fit their figures: before saving, every axes title that is wider than its axes and a figure title wider than
the figure are wrapped at word boundaries (and, if a single word is still too wide, set smaller) — see
:func:`fit_titles`.
"""
from __future__ import annotations

import functools
import textwrap
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .aggregate import ROW, Summary, dataset_label, dataset_sort_key, metric_label

DPI = 150
MIN_FONT_SIZE = 6.0
#: method names on a bar plot's x axis are wrapped to lines of this many characters
TICK_LABEL_CHARS = 18


def _building(draw: Callable[..., Any]) -> Callable[..., Any]:
    """Silence matplotlib's collapsed-layout warning while a figure is being drawn up: seaborn lays figures out
    midway, before the titles are wrapped; :func:`fit_titles` lays the finished figure out again (and warns then)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="constrained_layout not applied", category=UserWarning)
            return draw(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _fits(text, limit: float, renderer) -> bool:
    return text.get_window_extent(renderer).width <= limit


def _fit_one(text, limit: float, renderer) -> None:
    """Wrap ``text`` at word boundaries (widest lines first) until it is at most ``limit`` pixels wide; shrink the
    font when even one word per line is too wide."""
    original = " ".join(text.get_text().split())
    for width in range(len(original), 0, -1):
        text.set_text(textwrap.fill(original, width=width, break_long_words=False))
        if _fits(text, limit, renderer):
            return
    while not _fits(text, limit, renderer) and text.get_fontsize() > MIN_FONT_SIZE:
        text.set_fontsize(max(MIN_FONT_SIZE, text.get_fontsize() * 0.9))


def fit_titles(fig: Figure) -> Figure:
    """Wrap (or shrink) axes titles wider than their axes and a figure title wider than the figure."""
    for _ in range(2):  # wrapping changes title heights, so constrained layout moves the axes once more
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        pairs = [(ax.title, ax.get_window_extent(renderer).width) for ax in fig.axes if ax.get_title()]
        if fig._suptitle is not None and fig._suptitle.get_text():
            pairs.append((fig._suptitle, fig.bbox.width * 0.98))
        for text, limit in pairs:
            if not _fits(text, limit, renderer):
                _fit_one(text, limit, renderer)
    fig.draw_without_rendering()
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fit_titles(fig)
    fig.savefig(path, dpi=DPI)
    return path


def _palette(rows: list[str]) -> dict[str, tuple]:
    return dict(zip(rows, sns.color_palette("tab10" if len(rows) <= 10 else "husl", len(rows))))


def metric_bars(summary: Summary, path: Path) -> Path:
    """One panel per (metric, dataset): a bar per method at the seed mean, ± one std, and each seed as a dot."""
    return _save(bars_figure(summary), path)


@_building
def bars_figure(summary: Summary) -> Figure:
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
            ax.set_title(f"{summary.label(dataset)} — {metric_label(metric)}")
            ax.set_xlabel("")
            ax.set_ylabel(metric_label(metric))
            ax.set_xticks(range(len(rows)), [textwrap.fill(r, TICK_LABEL_CHARS, break_long_words=False)
                                              for r in rows])
            ax.tick_params(axis="x", labelrotation=30)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
    fig.suptitle(f"Seed mean ± std, dots = seeds ({summary.settings.caption()})")
    return fig


def delta_matrix(summary: Summary, reference: str, metric: str = "psnr") -> pd.DataFrame:
    """Rows × datasets of ``metric`` mean minus the reference row's."""
    return pd.DataFrame({summary.label(d): [summary.mean(r, d, metric) - summary.mean(reference, d, metric)
                                            for r in summary.rows] for d in summary.datasets},
                        index=summary.rows, dtype=float)


def ablation_heatmap(summary: Summary, reference: str, path: Path, metric: str = "psnr") -> Path:
    return _save(heatmap_figure(summary, reference, metric), path)


@_building
def heatmap_figure(summary: Summary, reference: str, metric: str = "psnr") -> Figure:
    matrix = delta_matrix(summary, reference, metric)
    fig = _figure(1.6 + 1.3 * matrix.shape[1] + 0.08 * max(len(r) for r in matrix.index), 1.2 + 0.45 * len(matrix))
    ax = fig.subplots()
    finite = matrix.to_numpy()[np.isfinite(matrix.to_numpy())]
    limit = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    with warnings.catch_warnings():  # seaborn's own use of a matplotlib API being phased out
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        shown = matrix.round(2)
        sns.heatmap(matrix, annot=shown.where(shown != 0, 0.0), fmt="+.2f",  # no "-0.00" for a tiny loss cmap="RdBu", center=0.0, vmin=-limit, vmax=limit,
                    linewidths=0.5, cbar_kws={"label": f"Δ {metric_label(metric)}"}, ax=ax)
    ax.set_title(f"Δ {metric_label(metric)} vs. {reference}")
    ax.set_ylabel("")
    return fig


def training_curves(curves: pd.DataFrame, path: Path, max_terms: int = 6, rows: list[str] | None = None
                    ) -> Path | None:
    """Loss against step, one row of panels per dataset and one column per loss term; line = seed mean, band = std.
    Methods in the order of ``rows`` (default: by label). None when no cell logged a loss."""
    if curves.empty:
        return None
    return _save(curves_figure(curves, max_terms, rows), path)


@_building
def curves_figure(curves: pd.DataFrame, max_terms: int = 6, rows: list[str] | None = None) -> Figure:
    datasets = sorted(curves["dataset"].unique(), key=dataset_sort_key)
    terms = ["loss"] + sorted(t for t in curves["term"].unique() if t != "loss")
    terms = [t for t in terms if t in set(curves["term"])][:max_terms]
    logged = set(curves["row"])
    rows = [r for r in rows if r in logged] if rows is not None else sorted(logged, key=lambda r: (r.casefold(), r))
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
    return fig


def psnr_vs_flops(summary: Summary, path: Path) -> Path | None:
    """Each method's PSNR (seed mean) per dataset against its GFLOPs; None when no FLOPs were measured."""
    fig = flops_figure(summary)
    return None if fig is None else _save(fig, path)


@_building
def flops_figure(summary: Summary) -> Figure | None:
    if not summary.has_flops or "psnr" not in summary.metrics:
        return None
    points = pd.DataFrame([{"method": r, "dataset": summary.label(d), "flops_g": summary.costs.at[r, "flops_g"],
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
    return fig

