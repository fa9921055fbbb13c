"""Evaluation sets without ground truth in a sweep: a tiny cell is also scored on an unpaired folder with no-reference
metrics (NIQE rows, protocol 'no-reference', higher_is_better false), on a paired set with the colour error next to
PSNR/SSIM, and the report keeps lower-is-better metrics out of the PSNR/SSIM tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from llie.data import write_image
from llie.errors import ConfigError
from llie.report import build_report
from llie.sweep.launch import run_sweep
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.store import read_store
from sweep_helpers import sweep_text


def unpaired_folder(root, names=("night1", "night2")):
    """Dark images large enough for NIQE (two 96×96 blocks at least)."""
    rng = np.random.default_rng(0)
    for name in names:
        smooth = np.repeat(np.repeat(rng.random((13, 25, 3)), 8, axis=0), 8, axis=1)[:100, :196]
        write_image(root / f"{name}.png", (0.05 + 0.1 * smooth + 0.01 * rng.random(smooth.shape)).astype(np.float32))
    return root


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("unpaired_sets")
    folder = unpaired_folder(root / "dark")
    set_file = root / "my_dark.yaml"
    set_file.write_text(yaml.safe_dump({"data": {"test": {"type": "UnpairedFolder", "root": str(folder)}}}))
    path = root / "sweep.yaml"
    path.write_text(sweep_text("unpaired", include=[{}], eval_datasets=[str(set_file)], report={"samples": 1},
                               no_reference_metrics=["niqe"],
                               overrides={"+eval.extra_metrics": ["delta_e"]}))
    result = run_sweep(make_plan(load_sweep(path), root / "wd"), progress=False)
    assert result.ok, [o.message for o in result.failed]
    return root / "wd" / "unpaired", result


def test_unpaired_sets_give_no_reference_rows_that_point_down(swept):
    sweep_dir, result = swept
    store = read_store(sweep_dir)
    dark = store[store["dataset"] == "my_dark"]
    assert list(dark["metric"]) == ["niqe"] and dark["extra_eval"].all()
    row = dark.iloc[0]
    assert row["protocol"] == "no-reference" and not row["higher_is_better"] and row["n_images"] == 2
    assert np.isfinite(row["value"]) and row["value"] > 0
    per_image = pd.read_csv(result.outcomes[0].run_dir / "per_image.csv")
    assert per_image.loc[per_image["dataset"] == "my_dark", "niqe"].notna().all()
    samples = result.outcomes[0].run_dir / "samples" / "my_dark"
    assert (samples / "output" / "night1.png").is_file() and not (samples / "gt").exists()


def test_paired_rows_carry_the_colour_error_pointing_down(swept):
    sweep_dir, _ = swept
    store = read_store(sweep_dir)
    own = store[store["dataset"] == "synthetic"].set_index("metric")
    assert set(own.index) == {"psnr", "ssim", "delta_e"}
    assert bool(own.loc["psnr", "higher_is_better"]) and not bool(own.loc["delta_e", "higher_is_better"])
    assert own.loc["delta_e", "protocol"] == "retinexformer" and own.loc["delta_e", "value"] > 0


def test_the_report_never_mixes_lower_is_better_metrics_with_psnr(swept, tmp_path):
    sweep_dir, _ = swept
    report = build_report(sweep_dir, tmp_path / "out", images=True)
    table = pd.read_csv(report.out_dir / "comparison.csv")
    for _, line in table.iterrows():
        present = {c.split("/")[1].rsplit("_", 1)[0] for c in table.columns
                   if "/" in c and c.endswith("_mean") and pd.notna(line[c])}
        assert present <= {"psnr", "ssim"} or present <= {"delta_e", "niqe"}, present
    markdown = (report.out_dir / "comparison.md").read_text()
    assert "lower is better" in markdown and "NIQE" in markdown and "ΔE" in markdown
    assert (report.out_dir / "grid_my_dark_synthetic.png").is_file()


def test_no_reference_metrics_are_checked(write_sweep):
    with pytest.raises(ConfigError, match="unknown no-reference metric 'nique'"):
        load_sweep(write_sweep(include=[{}], no_reference_metrics=["nique"]), check_keys=False)
    with pytest.raises(ConfigError, match="non-empty list"):
        load_sweep(write_sweep(include=[{}], no_reference_metrics=[]), check_keys=False)
    spec = load_sweep(write_sweep(include=[{}]), check_keys=False)
    assert spec.no_reference_metrics == ["niqe"] and spec.summary()["no_reference_metrics"] == ["niqe"]
