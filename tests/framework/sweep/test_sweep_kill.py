"""SIGKILL the sweep process mid-cell, rerun: no finished row lost, no DONE cell recomputed, no duplicate rows.

Also checks that a second sweep process on the same sweep dir is refused while the first holds its lock.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import llie.sweep.run_cell as run_cell_module
from llie.paths import REPO_ROOT
from llie.sweep.launch import run_sweep
from llie.sweep.locks import LockBusyError
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.store import read_store, rebuild

KEY = ["cell_id", "dataset", "seed", "metric", "protocol", "gt_mean"]
# long enough per cell (a checkpoint every iteration) that the kill lands inside the second cell
SLOW = {"train.max_iters": 15, "train.val_interval": 15, "train.checkpoint_interval": 1}


def _state(sweep_dir: Path) -> tuple[set[str], set[str]]:
    """(DONE cells, cells with a training checkpoint but no DONE)."""
    done = {p.parent.name for p in sweep_dir.glob("*/DONE")}
    training = {p.parent.name for p in sweep_dir.glob("*/last_checkpoint")} - done
    return done, training


def _start(sweep_file: Path, work: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "llie.cli.main", "sweep", str(sweep_file), "--work-dir", str(work),
           "--no-progress"]
    with open(log, "w") as out:
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def test_sigkill_mid_cell_then_rerun(write_sweep, tmp_path, monkeypatch):
    sweep_file = write_sweep("killme", grid={"model.enhancer.base_channels": [2, 3, 4]}, overrides=SLOW)
    work = tmp_path / "wd"
    sweep_dir = work / "killme"
    log = tmp_path / "sweep.log"
    proc = _start(sweep_file, work, log)
    refused = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the sweep ended before it could be killed mid-cell: {log.read_text()[-2000:]}")
            lock = sweep_dir / ".lock"
            if refused is None and lock.is_file() and f"pid {proc.pid} " in lock.read_text():
                with pytest.raises(LockBusyError) as info:  # a second sweep on the same dir is refused...
                    run_sweep(make_plan(load_sweep(sweep_file), work), progress=False)
                refused = str(info.value)
            done, training = _state(sweep_dir)
            if done and training:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        else:
            pytest.fail("no cell finished within 120 s")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert refused is not None and f"pid {proc.pid} " in refused and "sweep 'killme'" in refused  # ...naming the holder

    done_before, interrupted = _state(sweep_dir)
    store_before = read_store(sweep_dir)
    done_mtimes = {c: (sweep_dir / c / "DONE").stat().st_mtime_ns for c in done_before}
    metrics_mtimes = {c: (sweep_dir / c / "metrics.json").stat().st_mtime_ns for c in done_before}
    assert set(store_before["cell_id"]) >= done_before

    computed: list[str] = []
    original = run_cell_module.compute_cell

    def counting(run_dir, *args, **kwargs):
        computed.append(Path(run_dir).name)
        return original(run_dir, *args, **kwargs)

    monkeypatch.setattr(run_cell_module, "compute_cell", counting)
    result = run_sweep(make_plan(load_sweep(sweep_file), work), progress=False)  # the lock died with the process
    assert result.ok

    cells = {p.cell.cell_id for p in result.plan.cells}
    assert {p.parent.name for p in sweep_dir.glob("*/DONE")} == cells  # all cells DONE
    assert not set(computed) & done_before  # no DONE cell recomputed...
    assert {c: (sweep_dir / c / "DONE").stat().st_mtime_ns for c in done_before} == done_mtimes
    assert {c: (sweep_dir / c / "metrics.json").stat().st_mtime_ns for c in done_before} == metrics_mtimes
    for cell in interrupted:  # ...and the interrupted one resumed from its checkpoint
        attempts = [json.loads(line) for line in (sweep_dir / cell / "attempts.jsonl").read_text().splitlines()]
        assert len(attempts) == 2 and attempts[0]["resumed_from"] is None and attempts[1]["resumed_from"]

    table = read_store(sweep_dir)
    assert len(table) == len(cells) * 2 and not table.duplicated(KEY).any()  # 2 metrics, one protocol
    kept = table[table["cell_id"].isin(done_before)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, store_before[store_before["cell_id"].isin(done_before)].reset_index(drop=True))
    pd.testing.assert_frame_equal(rebuild(sweep_dir), table)
