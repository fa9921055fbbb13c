"""One cell's pieces: checkpoint pointer repair after a kill, parameter/FLOP counts, mmengine state, cell locks."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from llie.sweep.cells import build_cells, prepare_run_dir
from llie.sweep.locks import exclusive
from llie.engine.resume import repair_checkpoint_pointers
from llie.sweep.run_cell import (count_gflops, count_params, isolated_mmengine_state,
                                      run_cell)
from llie.sweep.spec import load_sweep


def test_a_truncated_last_checkpoint_falls_back_to_the_newest_intact_one(tmp_path):
    torch.save({"state_dict": {}}, tmp_path / "iter_1.pth")
    torch.save({"state_dict": {"w": torch.zeros(100)}}, tmp_path / "iter_2.pth")
    data = (tmp_path / "iter_2.pth").read_bytes()
    (tmp_path / "iter_2.pth").write_bytes(data[: len(data) // 2])  # killed while writing
    (tmp_path / "last_checkpoint").write_text(str(tmp_path / "iter_2.pth"))
    assert repair_checkpoint_pointers(tmp_path) == [tmp_path / "last_checkpoint"]
    assert (tmp_path / "last_checkpoint").read_text() == str((tmp_path / "iter_1.pth").resolve())
    assert repair_checkpoint_pointers(tmp_path) == []  # intact now: left alone


def test_a_pointer_without_any_intact_checkpoint_is_removed(tmp_path):
    stage = tmp_path / "stage1"
    stage.mkdir()
    (stage / "last_checkpoint").write_text("/moved/away/iter_5.pth")
    repair_checkpoint_pointers(tmp_path)
    assert not (stage / "last_checkpoint").exists()


def test_params_and_flops_are_counted_and_failures_give_nan():
    from llie.engine.builders import build_model

    model = build_model({"model": {"enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}}})
    total, trainable = count_params(model)
    assert total == trainable == sum(p.numel() for p in model.parameters()) > 0
    conv = nn.Conv2d(3, 4, 3, padding=1)
    flops = count_gflops(model)
    assert flops > 2 * conv.weight.numel() * 256 * 256 / 1e9  # at least its first 3→4 conv

    class Broken(nn.Module):
        def forward(self, x, mode="tensor"):
            raise RuntimeError("cannot trace")

    assert math.isnan(count_gflops(Broken()))


def test_mmengine_instances_made_inside_a_cell_are_dropped():
    from mmengine.logging import MMLogger

    with isolated_mmengine_state():
        MMLogger.get_instance("llie-test-cell", log_file=None)
        assert "llie-test-cell" in MMLogger._instance_dict
    assert "llie-test-cell" not in MMLogger._instance_dict


def test_a_cell_run_elsewhere_is_reported_busy_and_left_alone(write_sweep, tmp_path):
    spec = load_sweep(write_sweep(grid={"model.enhancer.depth": [1]}))
    cell = build_cells(spec)[0]
    run_dir = prepare_run_dir(cell, tmp_path / "wd", spec)
    with exclusive(run_dir / ".cell.lock", what="cell"):
        outcome = run_cell(run_dir, progress=False)
    assert outcome.status == "busy" and "pid" in outcome.message
    assert not (run_dir / "metrics.json").exists() and not (run_dir / "DONE").exists()


@pytest.mark.parametrize("missing", ["cell.json", "config.yaml"])
def test_a_run_dir_that_was_not_prepared_is_a_clear_error(tmp_path, missing):
    from llie.errors import ConfigError

    (tmp_path / "cell.json").write_text("{}")
    (tmp_path / "config.yaml").write_text("{}")
    (tmp_path / missing).unlink()
    with pytest.raises(ConfigError, match=f"missing {missing}"):
        run_cell(tmp_path)
