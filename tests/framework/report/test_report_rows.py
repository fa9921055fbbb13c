"""Which rows and columns a report shows, and in which order: the sweep's reference found by its own key, the sweep
file's row order with baselines last, a column for every evaluated set (extra evaluation sets included),
lower-is-better metrics in tables of their own, and the cost table."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from report_store_factory import make_results, write_store

from llie.report import build_report
from llie.report.aggregate import summarise
from llie.report.costs import cost_frame, cost_table
from llie.report.reference import choose_reference
from llie.report.sweep_facts import read_facts
from llie.report.tables import comparison_table
from llie.sweep.spec import load_sweep

DEMO_METHODS = ["DeepSPG-tiny", "w/o text prior", "w/o image prior", "w/o both priors", "U-Net", "Gamma (auto)",
                "Input (no enhancement)"]


DEMO_SWEEP_METHODS = ["DeepSPG + ESPNetv2 (VOC)", "DeepSPG + ESPNetv2 (random init)", "DeepSPG w/o prior", "U-Net",
                      "Gamma (auto)", "Input (no enhancement)"]


def demo_like_store(methods: list[str] = DEMO_METHODS) -> pd.DataFrame:
    """A store shaped like the demo sweep's: method labels from experiment.method, which is not a key column."""
    rows = []
    for i, method in enumerate(methods):
        for metric, value in (("psnr", 10.0 + i), ("ssim", 0.5)):
            rows.append({"sweep": "demo", "cell_id": f"cell{i:08d}", "method": method, "dataset": "synthetic",
                         "seed": 0, "metric": metric, "value": value, "protocol": "retinexformer", "gt_mean": False,
                         "n_images": 2, "params": 1e6, "trainable_params": 0 if "Gamma" in method or "Input" in method
                         else 1e5, "flops_g": 1.0, "train_time_s": 1.0, "eval_time_s": 1.0,
                         "finished_at": "2025-01-01T00:00:00",
                         "model.image_prior": "{\"type\":\"NoPrior\"}" if "image" in method or "both" in method
                         else "{\"type\":\"HRNetPrior\"}"})
    return pd.DataFrame(rows)


def write_sweep_json(sweep_dir, summary: dict, cells: list[tuple[str, str]]) -> None:
    summary = {**summary, "cells": [{"cell_id": c, "method": m} for c, m in cells]}
    (sweep_dir / "sweep.json").write_text(json.dumps(summary, default=str))


def test_the_demo_sweeps_reference_is_found_by_the_key_it_names(tmp_path):
    """The demo sweep names its reference by experiment.method, which the store keeps as the method column."""
    spec = load_sweep("experiments/ablations/demo.yaml", check_keys=False)
    reference = DEMO_SWEEP_METHODS[0]
    assert spec.reference == {"experiment.method": reference}
    frame = demo_like_store(DEMO_SWEEP_METHODS)
    sweep_dir = write_store(tmp_path / "demo", frame)
    write_sweep_json(sweep_dir, spec.summary(), [(f"cell{i:08d}", m) for i, m in enumerate(DEMO_SWEEP_METHODS)])
    facts = read_facts(sweep_dir)
    summary = summarise(frame, "demo", facts)[0]
    row, why = choose_reference(summary, {}, facts.reference)
    assert row == reference and why == f"the sweep's reference experiment.method={reference}"
    # a row the fallback (first in order) would never pick
    other, why = choose_reference(summary, {}, {"experiment.method": "DeepSPG w/o prior"})
    assert other == "DeepSPG w/o prior" and "matches no row" not in why


def test_rows_follow_the_reference_then_the_sweep_file_then_baselines(tmp_path):
    frame = demo_like_store()
    sweep_dir = write_store(tmp_path / "demo", frame)
    order = ["w/o both priors", "U-Net", "Input (no enhancement)", "DeepSPG-tiny", "w/o text prior",
             "Gamma (auto)", "w/o image prior"]
    cells = {m: f"cell{i:08d}" for i, m in enumerate(DEMO_METHODS)}
    write_sweep_json(sweep_dir, {"name": "demo", "reference": {"experiment.method": "DeepSPG-tiny"},
                                 "baselines": ["U-Net"]}, [(cells[m], m) for m in order])
    summary = summarise(frame, "demo", read_facts(sweep_dir))[0]
    # listed baseline (U-Net) and training-free rows (no trainable parameters) last, each group in sweep order
    assert summary.rows == ["w/o both priors", "DeepSPG-tiny", "w/o text prior", "w/o image prior", "U-Net",
                            "Input (no enhancement)", "Gamma (auto)"]
    assert summary.baselines == ["U-Net", "Input (no enhancement)", "Gamma (auto)"]
    report = build_report(sweep_dir, tmp_path / "out", images=False)
    table = pd.read_csv(report.out_dir / "comparison.csv")
    assert table["method"].tolist() == ["DeepSPG-tiny", "w/o both priors", "w/o text prior", "w/o image prior",
                                        "U-Net", "Input (no enhancement)", "Gamma (auto)"]
    assert pd.read_csv(report.out_dir / "cost.csv")["method"].tolist() == table["method"].tolist()


def test_without_a_sweep_file_rows_go_by_label_with_training_free_rows_last():
    frame = demo_like_store()
    summary = summarise(frame, "demo")[0]
    assert summary.rows == sorted(DEMO_METHODS[:5], key=str.casefold) + ["Gamma (auto)", "Input (no enhancement)"]


def with_extra_set(frame: pd.DataFrame, name: str = "lol_sample", offset: float = 3.0) -> pd.DataFrame:
    extra = frame[frame["dataset"] == "synthetic"].assign(dataset=name, extra_eval=True, train_dataset="synthetic")
    extra["value"] = extra["value"] + offset
    return pd.concat([frame.assign(extra_eval=False, train_dataset=frame["dataset"]), extra], ignore_index=True)


def test_an_extra_evaluation_set_gets_columns_of_its_own():
    frame = with_extra_set(make_results())
    summary = summarise(frame, "demo")[0]
    assert summary.datasets == ["lolv1", "synthetic", "lol_sample@synthetic"]
    assert summary.label("lol_sample@synthetic") == "LOL sample (extra)"
    table = comparison_table(summary)
    assert [g for g, _ in table.groups[:3]] == ["LOL-v1", "Synthetic", "LOL sample (extra)"]
    assert "not a training dataset" in table.caption and "trained on Synthetic" in table.caption
    for row in summary.rows:
        assert summary.mean(row, "lol_sample@synthetic", "psnr") == pytest.approx(
            summary.mean(row, "synthetic", "psnr") + 3.0)
    assert not summary.notes  # the extra rows are not mistaken for repeated measurements


def test_models_trained_on_different_datasets_get_one_extra_column_each():
    frame = make_results()
    extra = frame.assign(dataset="lol_sample", extra_eval=True, train_dataset=frame["dataset"])
    summary = summarise(pd.concat([frame, extra], ignore_index=True), "demo")[0]
    extras = [d for d in summary.datasets if "@" in d]
    assert extras == ["lol_sample@lolv1", "lol_sample@synthetic"]
    assert summary.label(extras[0]) == "LOL sample (extra; trained on LOL-v1)"
    assert (summary.stats["n"] == 2).all()  # two seeds each, nothing pooled across training datasets


def test_lower_is_better_metrics_never_share_a_table_with_psnr_and_rank_lowest_first():
    frame = make_results()
    psnr = frame[frame["metric"] == "psnr"]
    niqe = psnr.assign(metric="niqe", higher_is_better=False, value=psnr["method"].map(
        {"DeepSPG": 3.0, "Base_50%&co": 4.0, "U-Net": 5.0}))
    summaries = summarise(pd.concat([frame.assign(higher_is_better=True), niqe], ignore_index=True), "demo")
    assert [s.metrics for s in summaries] == [["psnr", "ssim"], ["psnr", "ssim"], ["niqe"], ["niqe"]]
    lower = summaries[2]
    assert not lower.higher_is_better and "lower is better" in lower.settings.caption()
    table = comparison_table(lower)
    marks = {row[0]: row[1].mark for row in table.rows}
    assert marks == {"DeepSPG": "best", "Base_50%&co": "second", "U-Net": None}
    from llie.report.formats import latex
    assert r"NIQE $\downarrow$" in latex(table) and r"$\uparrow$" not in latex(table)


def test_cost_table_means_per_cell_and_optional_columns():
    frame = make_results().assign(row=lambda f: f["method"])
    costs = cost_frame(frame, ["DeepSPG", "U-Net", "Base_50%&co"])
    assert costs.at["DeepSPG", "cells"] == 4  # 2 datasets × 2 seeds
    assert costs.at["DeepSPG", "trainable_m"] == pytest.approx(0.4) and costs.at["DeepSPG", "frozen_m"] == \
        pytest.approx(2.1)
    # 4 cells × 2 settings evaluations of 0.5 s over 4 images each
    assert costs.at["U-Net", "eval_s_per_image"] == pytest.approx(0.5 / 4)
    assert "Peak RSS (MiB)" not in cost_table(costs).columns and "Disk (MiB)" not in cost_table(costs).columns
    seeds = frame["seed"].astype(float)
    frame = frame.assign(peak_rss_mib=100.0 + seeds * 50, run_dir_bytes=(1 + seeds) * 2**20)
    costs = cost_frame(frame, ["DeepSPG", "U-Net", "Base_50%&co"])
    table = cost_table(costs, "demo")
    assert table.columns[-2:] == ["Peak RSS (MiB)", "Disk (MiB)"]
    assert costs.at["U-Net", "peak_rss_mib"] == 150.0 and costs.at["U-Net", "disk_mib"] == pytest.approx(1.5)
    assert [row[0] for row in table.rows] == ["DeepSPG", "U-Net", "Base_50%&co"]
