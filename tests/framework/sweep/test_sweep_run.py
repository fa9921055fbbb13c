"""A 2×2 grid of tiny cells run end to end in this process: run dirs, the results store, reruns and grid changes."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import llie.sweep.run_cell as run_cell_module
from llie.cli.main import main
from llie.sweep.launch import run_sweep
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.store import read_store, rebuild
from sweep_helpers import sweep_text

GRID = {"model.enhancer.base_channels": [3, 4], "model.enhancer.depth": [1, 2]}
PROTOCOLS = [{"protocol": "retinexformer", "gt_mean": False}, {"protocol": "basicsr", "gt_mean": True}]
KEY = ["cell_id", "dataset", "seed", "metric", "protocol", "gt_mean"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The 2×2 sweep, run once; tests below only read it (or copy it before changing anything)."""
    root = tmp_path_factory.mktemp("sweep2x2")
    path = root / "grid.yaml"
    path.write_text(sweep_text("grid", grid=GRID, protocols=PROTOCOLS))
    result = run_sweep(make_plan(load_sweep(path), root / "wd"), progress=False)
    assert result.ok, [o.message for o in result.failed]
    return path, root / "wd" / "grid", result


def test_every_cell_finishes_with_a_complete_run_dir(swept):
    _, sweep_dir, result = swept
    assert len(result.outcomes) == 4 and {o.status for o in result.outcomes} == {"done"}
    for outcome in result.outcomes:
        run_dir = outcome.run_dir
        for name in ("config.yaml", "cell.json", "per_image.csv", "metrics.json", "DONE", "last_checkpoint"):
            assert (run_dir / name).is_file(), name
        assert list(run_dir.glob("*/vis_data/scalars.json")), "training curves are missing"
        per_image = pd.read_csv(run_dir / "per_image.csv")
        assert len(per_image) == 2 * len(PROTOCOLS)  # 2 test images × protocols
        assert set(per_image.columns) >= {"name", "psnr", "ssim", "protocol", "gt_mean"}
    summary = json.loads((sweep_dir / "sweep.json").read_text())
    assert summary["varied_keys"] == list(GRID) and len(summary["cells"]) == 4


def test_store_has_one_row_per_cell_metric_protocol_and_the_values_of_metrics_json(swept):
    _, sweep_dir, result = swept
    table = read_store(sweep_dir)
    assert len(table) == 4 * 2 * len(PROTOCOLS)
    assert not table.duplicated(KEY).any()
    assert set(table["cell_id"]) == {o.cell_id for o in result.outcomes}
    for outcome in result.outcomes:
        metrics = json.loads((outcome.run_dir / "metrics.json").read_text())
        rows = table[table["cell_id"] == outcome.cell_id]
        for res in metrics["results"]:
            for metric in ("psnr", "ssim"):
                row = rows[(rows["metric"] == metric) & (rows["protocol"] == res["protocol"])
                           & (rows["gt_mean"] == res["gt_mean"])]
                assert len(row) == 1 and row["value"].item() == res[metric]
        assert (rows["params"] == metrics["params"]).all() and (rows["params"] > 0).all()
        assert (rows["flops_g"] > 0).all() and (rows["n_images"] == 2).all()
        assert rows["model.enhancer.depth"].iloc[0] == str(metrics["overrides"]["model.enhancer.depth"])
        assert rows["method"].iloc[0] == metrics["method"]
        # the sweep's shared cache with its defaults: exact features, recorded on every row for reports
        assert metrics["prior_cache_mode"] == "exact" and (rows["prior_cache_mode"] == "exact").all()
    csv = pd.read_csv(sweep_dir / "results.csv")
    assert len(csv) == len(table) and list(csv.columns) == list(table.columns)


def test_store_rebuilds_from_run_dirs_to_the_same_table(swept, tmp_path):
    _, sweep_dir, _ = swept
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    before = read_store(copy)
    (copy / "results.parquet").unlink()
    (copy / "results.csv").unlink()
    rebuilt = rebuild(copy)
    pd.testing.assert_frame_equal(rebuilt, before)
    pd.testing.assert_frame_equal(read_store(copy), before)


def _statuses(table_text: str) -> dict[str, str]:
    """cell id -> status, from the rows of the dry-run table."""
    out = {}
    for line in table_text.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) >= 6 and len(cells[0]) == 12 and cells[0] != "id":
            out[cells[0]] = cells[5]
    return out


def test_dry_run_lists_cells_and_statuses(swept, capsys):
    path, sweep_dir, result = swept
    assert main(["sweep", str(path), "--dry-run", "--work-dir", str(sweep_dir.parent)]) == 0
    statuses = _statuses(capsys.readouterr().out)
    assert statuses == {o.cell_id: "DONE" for o in result.outcomes}


def _count_computations(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = run_cell_module.compute_cell

    def counting(run_dir, *args, **kwargs):
        calls.append(Path(run_dir).name)
        return original(run_dir, *args, **kwargs)

    monkeypatch.setattr(run_cell_module, "compute_cell", counting)
    return calls


def test_rerun_recomputes_nothing_and_a_new_grid_value_adds_only_new_cells(swept, tmp_path, monkeypatch, capsys):
    path, sweep_dir, _ = swept
    work = tmp_path / "wd"
    shutil.copytree(sweep_dir, work / "grid")
    done_mtimes = {p.parent.name: p.stat().st_mtime_ns for p in (work / "grid").glob("*/DONE")}
    calls = _count_computations(monkeypatch)

    again = run_sweep(make_plan(load_sweep(path), work), progress=False)
    assert calls == [] and again.outcomes == []
    assert {p.parent.name: p.stat().st_mtime_ns for p in (work / "grid").glob("*/DONE")} == done_mtimes

    wider = tmp_path / "grid.yaml"
    wider.write_text(sweep_text("grid", grid={**GRID, "model.enhancer.depth": [1, 2, 3]}, protocols=PROTOCOLS))
    assert main(["sweep", str(wider), "--dry-run", "--work-dir", str(work)]) == 0
    statuses = _statuses(capsys.readouterr().out)
    assert sorted(statuses.values()) == ["DONE"] * 4 + ["pending"] * 2
    assert {k for k, v in statuses.items() if v == "DONE"} == set(done_mtimes)

    grown = run_sweep(make_plan(load_sweep(wider), work), progress=False)
    assert len(calls) == 2 and {o.status for o in grown.outcomes} == {"done"}
    assert set(calls) == {o.cell_id for o in grown.outcomes}
    assert {p.parent.name: p.stat().st_mtime_ns for p in (work / "grid").glob("*/DONE")
            if p.parent.name in done_mtimes} == done_mtimes
    table = read_store(work / "grid")
    assert table["cell_id"].nunique() == 6 and not table.duplicated(KEY).any()
    assert sorted(table["model.enhancer.depth"].unique()) == ["1", "2", "3"]


def test_every_row_records_the_seed_its_cell_ran_with(swept):
    import yaml

    _, sweep_dir, result = swept
    table = read_store(sweep_dir)
    assert table["seed"].notna().all()
    for outcome in result.outcomes:
        ran_with = yaml.safe_load((outcome.run_dir / "config.yaml").read_text())["seed"]
        assert set(table.loc[table["cell_id"] == outcome.cell_id, "seed"]) == {ran_with}
