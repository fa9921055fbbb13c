"""``build_report``: a sweep's results store → a report folder of tables, plots, image grids and ``index.html``.

Files written into the report folder (``<slug>`` names the evaluation settings, e.g. ``retinexformer``):
``comparison.md/.tex/.csv``, ``ablation.md/.tex/.csv`` (one table per settings group inside each file; the CSVs
carry the settings as columns), ``cost.md/.tex/.csv``, ``bars_<slug>.png``, ``ablation_<slug>.png``,
``psnr_vs_flops_<slug>.png`` (when FLOPs are known), ``training_curves.png`` (when cells logged losses),
``grid_<column>.png`` (from the sample images the cells saved; unless images are switched off), when ``llie demo``
wrote the views of the sweep's priors on real pairs (:mod:`.prior_views`) ``prior_agreement.md/.tex/.csv`` and
``prior_pairs_<id>.png``, and ``index.html``.
Files are written whole (temp file + rename) so a reader never sees half a table.

The report reads files only — the results store, the sweep's ``sweep.json``, scalar logs and saved sample images —
and never builds a model or a dataset.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import LLIEError

from .aggregate import ROW, Summary, column_keys, row_labels, summarise
from .costs import cost_frame, cost_table
from .curves import collect_curves
from .formats import html_table, latex_document, markdown_document
from .gates import FIGURE as GATE_FIGURE
from .gates import write_gate_plot
from .html import Page
from .plots import ablation_heatmap, metric_bars, psnr_vs_flops, training_curves
from .prior_views import PriorViews, agreement_table, read_prior_views, write_sheets
from .reference import choose_reference, parse_reference
from .store import load_results, rebuild_store
from .sweep_facts import read_facts
from .tables import Table, ablation_table, comparison_table, tables_csv

DEFAULT_REPORTS = Path("reports")


@dataclass
class Report:
    """Where the report went, the files written (in order) and anything the reader should know."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def sweep_name(frame: pd.DataFrame, sweep_dir: Path) -> str:
    names = [n for n in frame.get("sweep", pd.Series(dtype=str)).unique() if n]
    return names[0] if len(names) == 1 else sweep_dir.resolve().name


def _write_tables(report: Report, stem: str, title: str, tables: list[Table]) -> None:
    out = report.out_dir
    report.files += [_write_text(out / f"{stem}.md", markdown_document(title, tables)),
                     _write_text(out / f"{stem}.tex", latex_document(tables)),
                     _write_csv(out / f"{stem}.csv", tables_csv(tables))]


def build_report(sweep_dir: str | Path, out_dir: str | Path | None = None, *, rebuild: bool = False,
                 reference: list[str] | None = None, images: bool = True,
                 log: Callable[[str], None] = lambda _: None) -> Report:
    """Write the report of ``sweep_dir`` into ``out_dir`` (default ``reports/<sweep dir name>``)."""
    sweep_dir = Path(sweep_dir)
    explicit = parse_reference(reference)  # fail on a malformed --reference before any work
    if rebuild:
        log(f"rebuilding the results store of {sweep_dir}")
        rebuild_store(sweep_dir)
    frame = load_results(sweep_dir)
    name = sweep_name(frame, sweep_dir)
    report = Report(Path(out_dir) if out_dir is not None else DEFAULT_REPORTS / sweep_dir.resolve().name)
    report.out_dir.mkdir(parents=True, exist_ok=True)
    facts = read_facts(sweep_dir)
    summaries = summarise(frame, name, facts)
    if not summaries:
        raise LLIEError(f"the results store in {sweep_dir} holds no metric values; run `llie sweep` first")
    report.notes += summaries[0].notes

    references = [choose_reference(s, explicit, facts.reference or None) for s in summaries]
    summaries = [s.lead_with(ref) for s, (ref, _) in zip(summaries, references)]
    comparison = [comparison_table(s) for s in summaries]
    ablation = [ablation_table(s, ref) for s, (ref, _) in zip(summaries, references)]
    labelled = frame.assign(**{ROW: row_labels(frame)})
    rows = list(dict.fromkeys(r for s in summaries for r in s.rows))
    cost = cost_table(cost_frame(labelled, rows), name)
    _write_tables(report, "comparison", f"{name}: comparison", comparison)
    _write_tables(report, "ablation", f"{name}: ablation", ablation)
    _write_tables(report, "cost", f"{name}: cost", [cost])
    log(f"tables: {len(comparison)} settings group(s), {len(rows)} row(s)")

    figures = _plots(report, summaries, references)
    trained = labelled.drop_duplicates("cell_id").assign(dataset=lambda f: f["train_dataset"])
    curves_path = training_curves(collect_curves(sweep_dir, trained[["cell_id", ROW, "dataset", "seed"]]),
                                  report.out_dir / "training_curves.png", rows=rows)
    if curves_path is None:
        report.notes.append("training curves: no cell has a vis_data/scalars.json with losses")
    else:
        report.files.append(curves_path)
    report.files += write_gate_plot(sweep_dir, trained[["cell_id", ROW, "dataset", "seed"]], report.out_dir)  # gated models only
    log(f"plots: {len(figures) + (curves_path is not None)} written")

    grids: list[tuple[str, Path, list[str]]] = []
    if images:
        from .grids import write_grids

        cells = labelled.assign(column=column_keys(labelled))[["cell_id", ROW, "column", "dataset", "seed"]]
        labels = {key: s.label(key) for s in summaries for key in s.datasets}
        grids = write_grids(sweep_dir, cells, report.out_dir, rows=rows, labels=labels, notes=report.notes)
        report.files += [path for _, path, _ in grids]
        log(f"image grids: {len(grids)} written")
    priors = _prior_views(report, sweep_dir, name, images)

    page = _index(report, name, sweep_dir, summaries, comparison, ablation, cost, references, figures, curves_path,
                  grids)
    if priors is not None:
        _prior_section(page, *priors)
    page.notes(report.notes)
    report.files.append(_write_text(report.index, page.render()))
    return report


def _prior_views(report: Report, sweep_dir: Path, name: str, images: bool
                 ) -> tuple[Table, list[tuple[PriorViews, Path]]] | None:
    """The agreement table and the pair sheets of the priors' views, when the sweep dir holds any."""
    views = read_prior_views(sweep_dir)
    if not views:
        return None
    table = agreement_table(views, name)
    _write_tables(report, "prior_agreement", f"{name}: what the priors see", [table])
    sheets = write_sheets(views, report.out_dir) if images else []
    report.files += [path for _, path in sheets]
    return table, sheets


def _prior_section(page: Page, table: Table, sheets: list[tuple[PriorViews, Path]]) -> None:
    page.heading("What the image priors see on real low-light pairs")
    page.paragraph("Each segmentation prior run on a low-light image and on its ground truth: where their labels "
                   "agree, the prior can be trusted in the dark.")
    page.links(["prior_agreement.md", "prior_agreement.tex", "prior_agreement.csv"])
    page.raw(html_table(table))
    for view, path in sheets:
        page.figure(path.name, f"{view.label}: class map of each low-light image (left) and of its ground truth "
                               f"(right), with the classes present and their pixel fractions")


def _plots(report: Report, summaries: list[Summary], references: list[tuple[str, str]]
           ) -> list[tuple[Summary, str, Path]]:
    figures = []
    for summary, (ref, _) in zip(summaries, references):
        slug = summary.settings.slug()
        figures.append((summary, "bars", metric_bars(summary, report.out_dir / f"bars_{slug}.png")))
        if "psnr" in summary.metrics:
            figures.append((summary, "ablation", ablation_heatmap(summary, ref,
                                                                   report.out_dir / f"ablation_{slug}.png")))
        scatter = psnr_vs_flops(summary, report.out_dir / f"psnr_vs_flops_{slug}.png")
        if scatter is None:
            report.notes.append(f"PSNR vs FLOPs ({summary.settings.caption()}): skipped, no FLOPs were measured")
        else:
            figures.append((summary, "flops", scatter))
    report.files += [path for _, _, path in figures]
    return figures


_FIGURE_CAPTIONS = {"bars": "Per-dataset PSNR/SSIM: bar = seed mean, whisker = ± std, dots = seeds",
                    "ablation": "PSNR difference to the ablation reference row",
                    "flops": "PSNR against GFLOPs of one 256×256 forward"}


def _index(report: Report, name: str, sweep_dir: Path, summaries: list[Summary], comparison: list[Table],
           ablation: list[Table], cost: Table, references: list[tuple[str, str]],
           figures: list[tuple[Summary, str, Path]], curves: Path | None, grids: list[tuple[str, Path, list[str]]]
           ) -> Page:
    page = Page(report.out_dir, f"Sweep report: {name}")
    page.paragraph(f"Results store: {sweep_dir}. Tables and plots are made separately for each evaluation setting; "
                   f"numbers measured under different protocols are never mixed. Rows: the ablation reference "
                   f"first, then the sweep file's order, baselines last.")
    page.heading("Comparison")
    page.links(["comparison.md", "comparison.tex", "comparison.csv"])
    for table in comparison:
        page.raw(html_table(table))
    page.heading("Ablation")
    page.links(["ablation.md", "ablation.tex", "ablation.csv"])
    for table, summary, (ref, why) in zip(ablation, summaries, references):
        page.paragraph(f"Reference for {summary.settings.caption()}: {ref} — {why}.")
        page.raw(html_table(table))
    page.heading("Cost")
    page.links(["cost.md", "cost.tex", "cost.csv"])
    page.raw(html_table(cost))
    page.heading("Plots")
    for summary, kind, path in figures:
        page.figure(path.name, f"{_FIGURE_CAPTIONS[kind]} ({summary.settings.caption()})")
    if curves is not None:
        page.figure(curves.name, "Training losses against step: line = seed mean, band = ± std")
    if (report.out_dir / GATE_FIGURE).is_file():
        page.figure(GATE_FIGURE, "SEM trust gates against the input's mean brightness: one dot per test image and "
                                 "seed, one panel per method and scale")
    if grids:
        page.heading("Image grids")
        for label, path, names in grids:
            page.figure(path.name, f"{label}: input | each method (smallest seed) | ground truth | prior class map "
                                   f"(images {', '.join(names)})")
    return page
