"""Starting a sweep: a second sweep process on the same sweep dir is refused naming the holder; an unusable
``--work-dir`` fails in one line before any cell runs."""
from __future__ import annotations

import os
import subprocess
import sys

from llie.cli.main import main
from llie.paths import REPO_ROOT

GRID = {"model.enhancer.base_channels": [2]}

HOLD_LOCK = """
import sys, time
from pathlib import Path
from llie.sweep.locks import sweep_lock

with sweep_lock(Path(sys.argv[1]), sys.argv[2]):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_second_sweep_process_says_who_holds_the_lock_and_exits(write_sweep, tmp_path, capsys):
    sweep_file = write_sweep("locked", grid=GRID)
    work = tmp_path / "wd"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(work / "locked"), "locked"], cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert main(["sweep", str(sweep_file), "--work-dir", str(work), "--no-progress"]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("llie sweep: error:")
    assert f"pid {holder.pid} " in err[0] and "another 'llie sweep' is running" in err[0]
    assert not [p for p in (work / "locked").iterdir() if p.is_dir()]  # no cell was started


def test_unusable_work_dir_is_one_line(write_sweep, tmp_path, capsys):
    (tmp_path / "afile").write_text("a file where a folder is expected")
    sweep_file = write_sweep("tiny", grid=GRID)
    assert main(["sweep", str(sweep_file), "--work-dir", str(tmp_path / "afile"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write to the work dir" in err[0] and str(tmp_path / "afile") in err[0]
