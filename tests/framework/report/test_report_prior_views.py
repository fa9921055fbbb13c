"""What a sweep's segmentation priors see on real-style pairs: written beside the results by the sweep side (one
folder per distinct prior, rerun-safe), laid out by the report (agreement table + one pair sheet per prior)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from llie.data import write_image
from llie.report import build_report
from llie.report.prior_views import GAP, ROW_HEIGHT, read_prior_views
from llie.sweep.plan import make_plan
from llie.sweep.prior_views import INDEX_FILE, PRIOR_VIEWS_DIR, write_prior_views
from llie.sweep.spec import load_sweep

HRNET = {"type": "HRNetPrior", "variant": "tiny", "num_classes": 5}
PAIRS = ("a", "b")


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    """A sweep dir whose plan has two distinct segmentation priors (random init, two class counts), a no-prior cell
    and a U-Net without prior; its prior views on two pairs; a one-row results store."""
    root = tmp_path_factory.mktemp("priorviews")
    rng = np.random.default_rng(0)
    for name in PAIRS:
        high = rng.random((24, 32, 3)).astype(np.float32)
        write_image(root / "high" / f"{name}.png", high)
        write_image(root / "low" / f"{name}.png", high * 0.1)
    sweep = root / "s.yaml"
    sweep.write_text(yaml.safe_dump({"sweep": {"name": "s", "base": "experiments/unet/unet_synthetic.yaml", "zip": [{
        "experiment.method": ["P5", "P3", "none", "again P5"],
        "model.image_prior": [HRNET, {**HRNET, "num_classes": 3}, {"type": "NoPrior"}, HRNET],
        "model.enhancer.depth": [1, 1, 1, 2]}]}}))
    plan = make_plan(load_sweep(sweep), root / "wd")
    written = write_prior_views(plan, root / "low", root / "high")
    pd.DataFrame([{"sweep": "s", "cell_id": plan.cells[0].cell.cell_id, "method": "P5", "dataset": "synthetic",
                   "seed": 0, "metric": "psnr", "value": 10.0, "protocol": "retinexformer", "gt_mean": False,
                   "crop_border": 0, "y_channel": False, "n_images": 2, "params": 1, "trainable_params": 1,
                   "flops_g": float("nan"), "train_time_s": 1.0, "eval_time_s": 1.0,
                   "finished_at": "2025-01-01T00:00:00"}]).to_parquet(plan.sweep_dir / "results.parquet")
    return plan, written, root


def test_one_folder_per_distinct_segmentation_prior_with_pictures_and_agreement(views):
    plan, written, root = views
    assert len(written) == 2  # P5 and P3; NoPrior passed over; 'again P5' shares P5's prior
    index = json.loads((plan.sweep_dir / PRIOR_VIEWS_DIR / INDEX_FILE).read_text())
    assert index == [p.parent.name for p in written]
    first = json.loads(written[0].read_text())
    assert first["method"] == "P5" and first["prior"].startswith("HRNetPrior(") and first["num_classes"] == 5
    assert [p["name"] for p in first["pairs"]] == list(PAIRS)
    for pair in first["pairs"]:
        assert 0.0 <= pair["pixel_accuracy"] <= 1.0 and 0.0 <= pair["miou"] <= 1.0
    mean = np.mean([p["miou"] for p in first["pairs"]])
    assert first["agreement"]["miou"] == pytest.approx(mean) and first["agreement"]["n_pairs"] == 2
    for name in PAIRS:
        for role in ("low", "high"):
            assert (written[0].parent / f"{name}_{role}_classes.png").is_file()


def test_rerunning_keeps_current_views(views):
    plan, written, root = views
    before = [p.stat().st_mtime_ns for p in written]
    again = write_prior_views(plan, root / "low", root / "high")
    assert again == written and [p.stat().st_mtime_ns for p in again] == before


def test_the_report_lays_out_the_agreement_table_and_a_pair_sheet_per_prior(views, tmp_path):
    plan, written, _ = views
    report = build_report(plan.sweep_dir, tmp_path / "out", images=True)
    payloads = [json.loads(p.read_text()) for p in written]
    table = (report.out_dir / "prior_agreement.md").read_text()
    for payload in payloads:
        row = next(line for line in table.splitlines()
                   if line.startswith(f"| HRNetPrior, random init ({payload['method']}) |"))
        assert f"{payload['agreement']['miou']:.3f}" in row
        assert f"{payload['pairs'][1]['pixel_accuracy']:.3f}" in row
        classes = np.mean([len(p["classes"]) for p in payload["pairs"]])
        assert row.endswith(f" {classes:.1f} |")
    sheets = [report.out_dir / f"prior_pairs_{p.parent.name}.png" for p in written]
    for sheet in sheets:
        assert sheet in report.files
        with Image.open(sheet) as image:
            assert image.height == len(PAIRS) * (ROW_HEIGHT + GAP) - GAP
    html = report.index.read_text()
    assert "What the image priors see on real low-light pairs" in html
    assert all(sheet.name in html for sheet in sheets) and "prior_agreement.md" in html


def test_no_views_no_section(tmp_path):
    assert read_prior_views(tmp_path) == []
