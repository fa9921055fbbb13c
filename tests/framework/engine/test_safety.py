"""Failure paths of training: NaN losses, unwritable work dirs, interrupted checkpoint writes."""
from __future__ import annotations

import copy
import os

import pytest
import torch
import yaml

from llie.config import load_config
from llie.engine.safety import check_output_dir
from llie.engine.training import last_checkpoint, train
from llie.errors import LLIEError, NonFiniteLossError
from llie.interfaces import Loss
from llie.registry import LOSSES

from test_training import TINY


class NaNFromThirdCall(Loss):
    """Finite for two iterations, then NaN (or ``bad``, e.g. Inf) — a diverging run."""

    name = "diverging"
    calls = 0
    bad = float("nan")

    def forward(self, pred, target, ctx):
        type(self).calls += 1
        value = (pred - target).abs().mean() + 1e-3
        return value * type(self).bad if type(self).calls >= 3 else value


@pytest.fixture
def diverging_loss():
    LOSSES.register_module(module=NaNFromThirdCall, force=True)
    NaNFromThirdCall.calls = 0
    yield
    LOSSES.module_dict.pop("NaNFromThirdCall", None)


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_nan_loss_stops_with_the_term_named_and_keeps_last_good_checkpoint(tmp_path, diverging_loss, monkeypatch,
                                                                          bad):
    monkeypatch.setattr(NaNFromThirdCall, "bad", float(bad))
    cfg_dict = copy.deepcopy(TINY)
    cfg_dict["model"]["losses"] = [{"type": "PixelLoss"}, {"type": "NaNFromThirdCall"}]
    cfg_dict["train"].update({"max_iters": 6, "checkpoint_interval": 2, "val_interval": 6})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg_dict))
    with pytest.raises(NonFiniteLossError, match=rf"iteration 2: loss_diverging={bad}"):
        train(load_config(path), tmp_path / "w", progress=False)
    ckpt = last_checkpoint(tmp_path / "w")
    assert ckpt is not None and ckpt.name == "iter_2.pth"
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_read_only_work_dir_fails_before_training(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # running as root: permissions do not bind; use a path under a file instead
            target = tmp_path / "afile" / "work"
            (tmp_path / "afile").write_text("not a folder")
        else:
            target = ro / "work"
        with pytest.raises(LLIEError, match="cannot write to the work dir"):
            check_output_dir(target)
    finally:
        ro.chmod(0o700)


def test_disk_space_check_names_the_need(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10, 10, 1024))
    with pytest.raises(LLIEError, match="not enough disk space"):
        check_output_dir(tmp_path, torch.nn.Linear(100, 100), keep=2)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    """A crash inside the write leaves no iter_N.pth and the previous checkpoint remains the last one."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**TINY, "train": {**TINY["train"], "max_iters": 4, "checkpoint_interval": 2}}))
    cfg = load_config(path)
    train(load_config(path, ["train.max_iters=2"]), tmp_path / "w", progress=False)
    import mmengine.runner.runner as runner_module

    real = runner_module.save_checkpoint

    def crash_mid_write(checkpoint, filename, **kwargs):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(runner_module, "save_checkpoint", crash_mid_write)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path / "w", progress=False)
    monkeypatch.setattr(runner_module, "save_checkpoint", real)
    assert not (tmp_path / "w" / "iter_4.pth").exists()
    assert last_checkpoint(tmp_path / "w").name == "iter_2.pth"
    torch.load(last_checkpoint(tmp_path / "w"), weights_only=True)


KILL_DURING_SECOND_CHECKPOINT = """
import os, signal, sys
import mmengine.runner.runner as runner_module
from llie.config import load_config
from llie.engine.training import train

real, calls = runner_module.save_checkpoint, []

def killed_mid_write(checkpoint, filename, **kwargs):
    calls.append(filename)
    if len(calls) == 2:  # the iteration-4 checkpoint: half a file on disk, then the process is gone
        with open(filename, "wb") as f:
            f.write(b"PK\\x03\\x04 half a checkpoint")
        os.kill(os.getpid(), signal.SIGKILL)
    return real(checkpoint, filename, **kwargs)

runner_module.save_checkpoint = killed_mid_write
train(load_config(sys.argv[1]), sys.argv[2], progress=False)
"""


def test_sigkill_during_checkpoint_write_keeps_the_previous_one_and_resume_continues(tmp_path):
    import signal
    import subprocess
    import sys

    from llie.paths import REPO_ROOT

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**TINY, "train": {**TINY["train"], "max_iters": 4, "checkpoint_interval": 2}}))
    work = tmp_path / "w"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", KILL_DURING_SECOND_CHECKPOINT, str(path), str(work)], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert not (work / "iter_4.pth").exists()  # the half-written file never took the real name
    assert last_checkpoint(work).name == "iter_2.pth"
    assert torch.load(last_checkpoint(work), weights_only=True)["meta"]["iter"] == 2
    kept = (work / "iter_2.pth").stat().st_mtime_ns
    result = train(load_config(path), work, progress=False)  # a rerun resumes from iteration 2...
    assert (work / "iter_2.pth").stat().st_mtime_ns == kept  # ...without redoing (and rewriting) iterations 1-2
    assert result.checkpoint.name == "iter_4.pth"
    assert torch.load(result.checkpoint, weights_only=True)["meta"]["iter"] == 4
