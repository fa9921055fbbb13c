"""Executors: worker processes (a failing cell is reported, the others finish) and the Slurm path via submitit."""
from __future__ import annotations

import json

import pytest

from llie.cli.main import main
from llie.sweep.launch import run_sweep
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.store import read_store


def test_worker_processes_report_a_failed_cell_and_finish_the_others(write_sweep, tmp_path, capsys):
    # UNet refuses depth 0 when the cell builds its model: that cell fails, the other one must still finish
    sweep_file = write_sweep("workers", grid={"model.enhancer.depth": [1, 0]})
    work = tmp_path / "wd"
    status = main(["sweep", str(sweep_file), "--work-dir", str(work), "--workers", "2", "--no-progress"])
    assert status == 1
    plan = make_plan(load_sweep(sweep_file), work)
    good, bad = plan.cells
    assert good.status == "DONE" and bad.status == "partial"
    out = capsys.readouterr().out
    assert f"failed: cell {bad.cell.cell_id}" in out
    log = bad.run_dir / "cell.log"
    assert f"(log: {log})" in out and "depth must be >= 1" in log.read_text()
    assert "depth must be >= 1" in (bad.run_dir / "error.log").read_text()
    assert set(read_store(work / "workers")["cell_id"]) == {good.cell.cell_id}


@pytest.mark.parametrize("cluster", ["debug", "local"])
def test_slurm_path_through_submitit_runs_a_cell(write_sweep, tmp_path, cluster):
    sweep_file = write_sweep("slurm", grid={"model.enhancer.depth": [1]},
                             executor={"type": "slurm", "cluster": cluster, "partition": "gpu", "time_min": 5,
                                       "gpus_per_node": 0, "array_parallelism": 2, "poll_s": 0.2})
    spec = load_sweep(sweep_file)
    assert spec.executor.partition == "gpu" and spec.executor.array_parallelism == 2
    result = run_sweep(make_plan(spec, tmp_path / "wd"), progress=False)
    assert result.ok and [o.status for o in result.outcomes] == ["done"]
    run_dir = result.outcomes[0].run_dir
    assert (run_dir / "DONE").is_file()
    job = json.loads((run_dir / "slurm_job.json").read_text())
    assert job["cluster"] == cluster and job["job_id"]
    assert str(tmp_path / "wd" / "slurm" / "submitit") in job["stdout"]
    assert len(read_store(tmp_path / "wd" / "slurm")) == 2
