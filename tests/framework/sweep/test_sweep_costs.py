"""Cost accounting: every stored row carries the cell's peak memory and run-dir bytes; the dry run estimates the
run-dir bytes from the config alone, within a stated factor of what the run leaves."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from llie.cli.main import main
from llie.sweep.costs import PeakRSS, estimate_cell_bytes, run_dir_bytes
from llie.sweep.launch import run_sweep
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.store import read_store
from sweep_helpers import sweep_text

#: the dry run's disk estimate is within this factor of the bytes a DONE cell's run dir holds
FACTOR = 1.5
GRID = {"model.enhancer.base_channels": [4, 16]}
INCLUDE = [{"experiment.method": "Gamma", "model.enhancer": {"type": "GammaCorrection", "auto": True},
            "model.losses": []}]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("costs")
    path = root / "costs.yaml"
    path.write_text(sweep_text("costs", grid=GRID, include=INCLUDE,
                               overrides={"train.max_iters": 4, "train.val_interval": 4}))
    plan = make_plan(load_sweep(path), root / "wd")
    result = run_sweep(plan, progress=False)
    assert result.ok, [o.message for o in result.failed]
    return path, plan, result


def test_cost_columns_are_in_every_stored_row(swept):
    _, plan, result = swept
    table = read_store(plan.sweep_dir)
    assert len(table) and table["peak_rss_mib"].notna().all() and table["run_dir_bytes"].notna().all()
    assert (table["peak_rss_mib"] > 50).all()  # a Python process with torch loaded
    for outcome in result.outcomes:
        metrics = json.loads((outcome.run_dir / "metrics.json").read_text())
        rows = table[table["cell_id"] == outcome.cell_id]
        assert (rows["run_dir_bytes"] == metrics["run_dir_bytes"]).all()
        assert (rows["peak_rss_mib"] == metrics["peak_rss_mib"]).all()
        # measured before metrics.json and DONE were written: everything else in the run dir
        extra = (outcome.run_dir / "metrics.json").stat().st_size + (outcome.run_dir / "DONE").stat().st_size
        assert metrics["run_dir_bytes"] == run_dir_bytes(outcome.run_dir) - extra


def test_trained_cells_hold_their_checkpoints_and_training_free_ones_almost_nothing(swept):
    _, plan, result = swept
    sizes = {json.loads((o.run_dir / "metrics.json").read_text())["method"]: json.loads(
        (o.run_dir / "metrics.json").read_text())["run_dir_bytes"] for o in result.outcomes}
    gamma = sizes.pop("Gamma")
    assert all(size > gamma for size in sizes.values())
    wide, narrow = (sizes[m] for m in sorted(sizes, key=lambda m: "16" not in m))
    assert wide > narrow  # 16 channels: more parameters in each kept checkpoint


def test_dry_run_estimate_is_within_the_stated_factor_of_the_run_dir(swept):
    _, plan, result = swept
    memo: dict = {}
    for planned in plan.cells:
        actual = json.loads((planned.run_dir / "metrics.json").read_text())["run_dir_bytes"]
        estimate = estimate_cell_bytes(planned.cell.config, memo, samples=plan.spec.samples,
                                       eval_sets=plan.spec.eval_sets)
        assert estimate is not None
        assert actual / FACTOR <= estimate <= actual * FACTOR, (planned.cell.method, estimate, actual)


def test_dry_run_shows_the_disk_column_and_its_total(swept, capsys):
    path, plan, _ = swept
    assert main(["sweep", str(path), "--dry-run", "--work-dir", str(plan.sweep_dir.parent)]) == 0
    out = capsys.readouterr().out
    assert "disk (est.)" in out and "for the sweep" in out
    assert "KiB" in out and "?" not in out.replace("(est.)", "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the per-block peak needs Linux's clear_refs")
def test_peak_rss_is_the_blocks_own_not_the_process_high_water_mark():
    import resource

    big = np.ones(400 * 2**20 // 8)  # 400 MiB: the process's high-water mark …
    del big
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with PeakRSS() as first:
        small = np.ones(40 * 2**20 // 8)
        del small
    with PeakRSS() as second:
        bigger = np.ones(120 * 2**20 // 8)
        del bigger
    assert first.mib is not None and second.mib is not None
    assert second.mib - first.mib > 60  # each block sees its own allocation …
    assert first.mib < process_peak - 200  # … not the 400 MiB peak before it
