"""The results store: tidy rows from metrics.json, replace-not-duplicate, rebuild, concurrent writers."""
from __future__ import annotations

import json
import math
import multiprocessing

import pandas as pd

from llie.sweep.store import CSV, FIXED_COLUMNS, PARQUET, read_store, rebuild, rows_from_metrics, store_cell


def metrics(cell_id: str, psnr: float = 20.0, depth: str | None = "2", flops: float | None = 1.5) -> dict:
    return {"sweep": "s", "cell_id": cell_id, "method": f"m-{cell_id}", "dataset": "synthetic", "seed": 0,
            "overrides": {}, "columns": {"model.enhancer.depth": depth}, "params": 10, "trainable_params": 7,
            "flops_g": flops, "train_time_s": 1.0, "finished_at": "2026-01-01T00:00:00+00:00",
            "results": [{"protocol": "retinexformer", "gt_mean": False, "crop_border": 0, "y_channel": False,
                         "n_images": 3, "psnr": psnr, "ssim": 0.5, "eval_time_s": 0.1},
                        {"protocol": "basicsr", "gt_mean": True, "crop_border": 4, "y_channel": True,
                         "n_images": 3, "psnr": psnr + 1, "ssim": 0.6, "eval_time_s": 0.2}]}


def test_rows_are_tidy_with_all_columns():
    rows = rows_from_metrics(metrics("a", flops=None))
    assert len(rows) == 4  # 2 protocols × psnr/ssim
    assert set(rows[0]) == set(FIXED_COLUMNS) | {"model.enhancer.depth"}
    basicsr_psnr = next(r for r in rows if r["protocol"] == "basicsr" and r["metric"] == "psnr")
    assert basicsr_psnr["value"] == 21.0 and basicsr_psnr["gt_mean"] is True and basicsr_psnr["crop_border"] == 4
    assert math.isnan(rows[0]["flops_g"])
    assert rows[0]["prior_cache_mode"] is None  # a cell finished before the column existed


def test_the_prior_cache_mode_is_a_stored_column(tmp_path):
    store_cell(tmp_path, {**metrics("a"), "prior_cache_mode": "window"})
    store_cell(tmp_path, {**metrics("b"), "prior_cache_mode": "exact"})
    store_cell(tmp_path, metrics("c"))
    table = read_store(tmp_path)
    modes = table.groupby("cell_id")["prior_cache_mode"].first()
    assert modes["a"] == "window" and modes["b"] == "exact" and pd.isna(modes.get("c"))
    assert pd.read_csv(tmp_path / CSV).groupby("cell_id")["prior_cache_mode"].first()["a"] == "window"


def test_storing_a_cell_again_replaces_its_rows(tmp_path):
    store_cell(tmp_path, metrics("a"))
    store_cell(tmp_path, metrics("b", depth=None))
    store_cell(tmp_path, metrics("a", psnr=30.0))
    table = read_store(tmp_path)
    assert len(table) == 8 and table.groupby("cell_id").size().to_dict() == {"a": 4, "b": 4}
    a_psnr = table[(table.cell_id == "a") & (table.metric == "psnr") & (table.protocol == "retinexformer")]
    assert a_psnr["value"].tolist() == [30.0]
    assert table[table.cell_id == "b"]["model.enhancer.depth"].isna().all()
    assert table["seed"].dtype == "int64" and table["gt_mean"].dtype == bool
    assert len(pd.read_csv(tmp_path / CSV)) == 8
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_rebuild_recreates_the_store_from_run_dirs(tmp_path):
    for cid in ("a", "b"):
        (tmp_path / cid).mkdir()
        (tmp_path / cid / "metrics.json").write_text(json.dumps(metrics(cid)))
        store_cell(tmp_path, metrics(cid))
    before = read_store(tmp_path)
    (tmp_path / PARQUET).unlink()
    assert read_store(tmp_path).empty
    pd.testing.assert_frame_equal(rebuild(tmp_path), before)
    pd.testing.assert_frame_equal(read_store(tmp_path), before)


def _store_many(args: tuple[str, int]) -> None:
    folder, worker = args
    for i in range(4):
        store_cell(folder, metrics(f"w{worker}c{i}", psnr=float(i)))


def test_concurrent_writers_lose_no_rows(tmp_path):
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(_store_many, [(str(tmp_path), w) for w in range(3)])
    table = read_store(tmp_path)
    assert table["cell_id"].nunique() == 12 and len(table) == 48


def test_every_row_records_its_cells_seed(tmp_path):
    for seed in (0, 1, 7):
        store_cell(tmp_path, {**metrics(f"s{seed}"), "seed": seed})
    table = read_store(tmp_path)
    assert table["seed"].dtype == "int64" and table["seed"].notna().all()
    assert table.groupby("cell_id")["seed"].unique().map(list).to_dict() == {"s0": [0], "s1": [1], "s7": [7]}


KILL_DURING_APPEND = """
import json, os, signal, sys
import pandas as pd
from llie.sweep.store import store_cell

folder, first, second = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
store_cell(folder, first)
real = pd.DataFrame.to_parquet

def killed_mid_write(self, path, *args, **kwargs):
    real(self, path, *args, **kwargs)
    with open(path, "r+b") as f:  # half the new table on disk, then the process is gone
        f.truncate(os.path.getsize(path) // 2)
    os.kill(os.getpid(), signal.SIGKILL)

pd.DataFrame.to_parquet = killed_mid_write
store_cell(folder, second)
"""


def test_sigkill_during_append_keeps_every_finished_row(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from llie.paths import REPO_ROOT

    proc = subprocess.run([sys.executable, "-c", KILL_DURING_APPEND, str(tmp_path), json.dumps(metrics("a")),
                           json.dumps(metrics("b"))], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    before = read_store(tmp_path)
    assert len(before) == 4 and set(before["cell_id"]) == {"a"}  # the finished rows, whole; nothing of b
    assert len(pd.read_csv(tmp_path / CSV)) == 4
    assert list(tmp_path.glob(f".{PARQUET}.*.tmp"))  # what the killed writer left behind
    after = store_cell(tmp_path, metrics("b"))  # the lock died with the process: the next writer gets it
    assert len(after) == 8 and not after.duplicated(["cell_id", "metric", "protocol"]).any()
    pd.testing.assert_frame_equal(after[after["cell_id"] == "a"].reset_index(drop=True), before)
    assert not list(tmp_path.glob(".*.tmp"))  # and cleans up the dead writer's temporary file


def test_an_extra_evaluation_set_is_stored_under_its_own_name():
    cell = metrics("a")
    cell["results"].append({"dataset": "lol_sample", "extra_eval": True, "protocol": "retinexformer",
                            "gt_mean": False, "n_images": 5, "psnr": 15.0, "ssim": 0.7, "eval_time_s": 0.3})
    rows = pd.DataFrame(rows_from_metrics(cell))
    extra = rows[rows["dataset"] == "lol_sample"]
    assert len(extra) == 2 and extra["extra_eval"].all() and (extra["train_dataset"] == "synthetic").all()
    assert extra.set_index("metric")["value"].to_dict() == {"psnr": 15.0, "ssim": 0.7}
    own = rows[rows["dataset"] == "synthetic"]
    assert len(own) == 4 and not own["extra_eval"].any()  # results without a dataset are the cell's own


def test_each_metric_row_says_which_way_is_better():
    cell = metrics("a")
    cell["results"] = [{"dataset": "dicm", "extra_eval": True, "protocol": "niqe", "gt_mean": False,
                        "n_images": 4, "niqe": 4.2, "eval_time_s": 1.0}]
    (row,) = rows_from_metrics(cell)  # a no-reference set: NIQE only, no PSNR/SSIM rows
    assert row["metric"] == "niqe" and row["value"] == 4.2 and row["higher_is_better"] is False
    assert all(r["higher_is_better"] for r in rows_from_metrics(metrics("b")))
