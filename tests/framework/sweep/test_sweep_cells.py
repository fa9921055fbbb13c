"""Cells: resolved configs, stable ids, method labels, result columns and runtime settings."""
from __future__ import annotations

import yaml

from sweep_helpers import sweep_text
from llie.sweep.cells import (build_cells, cell_id, cell_status, method_label, prepare_run_dir, read_cell,
                                   runtime_config)
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep


def test_cell_id_ignores_key_order_and_runtime_settings_but_not_values_or_dataset():
    a = {"model": {"enhancer": {"type": "UNet", "depth": 1}}, "seed": 0, "train": {"max_iters": 2}}
    b = {"train": {"max_iters": 2}, "seed": 0, "model": {"enhancer": {"depth": 1, "type": "UNet"}}}
    assert cell_id(a, "synthetic") == cell_id(b, "synthetic")
    assert len(cell_id(a, "synthetic")) == 12 and int(cell_id(a, "synthetic"), 16) >= 0
    with_cache = {**a, "prior_cache": {"root": "/x"}, "work_dir": "/y"}
    assert cell_id(with_cache, "synthetic") == cell_id({**a, "prior_cache": {"root": "/z"}}, "synthetic")
    assert cell_id({**a, "seed": 1}, "synthetic") != cell_id(a, "synthetic")
    assert cell_id(a, "lolv1") != cell_id(a, "synthetic")
    tracked = {**a, "vis_backends": [{"type": "TensorboardVisBackend"}]}  # where it reports, not what it computes
    assert cell_id(tracked, "synthetic") == cell_id(a, "synthetic")


def test_only_prior_cache_settings_that_change_the_features_change_the_cell_id():
    a = {"model": {"enhancer": {"type": "UNet", "depth": 1}}, "seed": 0}
    same = [a, {**a, "prior_cache": None}, {**a, "prior_cache": False}, {**a, "prior_cache": True},
            {**a, "prior_cache": {"root": "/x", "max_gb": 1, "memory_mb": 8}},
            {**a, "prior_cache": {"mode": "exact", "dtype": "float32"}}]
    assert len({cell_id(c, "synthetic") for c in same}) == 1  # exact features: the same experiment
    window = cell_id({**a, "prior_cache": {"root": "/x", "mode": "window"}}, "synthetic")
    half = cell_id({**a, "prior_cache": {"root": "/x", "dtype": "float16"}}, "synthetic")
    assert len({cell_id(a, "synthetic"), window, half}) == 3


def test_window_mode_is_another_cell_unless_the_cache_is_switched_off(write_sweep, tmp_path):
    spec = load_sweep(write_sweep(grid={"model.enhancer.depth": [1]}))
    exact = make_plan(spec, tmp_path).cells[0].cell
    window = make_plan(spec, tmp_path, extra_overrides=["+prior_cache={mode: window}"]).cells[0].cell
    assert window.cell_id != exact.cell_id
    assert runtime_config(window, tmp_path)["prior_cache"] == {"mode": "window",
                                                               "root": str(tmp_path.resolve() / "prior_cache")}
    off = make_plan(spec, tmp_path, extra_overrides=["+prior_cache={mode: window}"], prior_cache=False).cells[0].cell
    assert off.cell_id == exact.cell_id and runtime_config(off, tmp_path, prior_cache=False)["prior_cache"] is None


def test_ids_do_not_depend_on_grid_key_order_or_the_work_dir(tmp_path, monkeypatch):
    one = tmp_path / "one.yaml"
    two = tmp_path / "two.yaml"
    one.write_text(sweep_text("s", grid={"model.enhancer.depth": [1, 2], "train.max_iters": [2, 3]}))
    two.write_text(sweep_text("s", grid={"train.max_iters": [3, 2], "model.enhancer.depth": [2, 1]}))
    ids_one = {p.cell.cell_id for p in make_plan(load_sweep(one), tmp_path / "wd1").cells}
    monkeypatch.chdir(tmp_path)
    ids_two = {p.cell.cell_id for p in make_plan(load_sweep(two), "wd2").cells}
    assert len(ids_one) == 4 and ids_one == ids_two


def test_resolved_config_order_dataset_overrides_cell_then_set_then_seed(write_sweep):
    spec = load_sweep(write_sweep(grid={"train.max_iters": [5]}, seeds=[0, 3]))
    cells = build_cells(spec, ["train.val_interval=7"])
    assert [c.seed for c in cells] == [0, 3]
    config = cells[1].config
    assert config["seed"] == 3
    assert config["train"]["max_iters"] == 5 and config["train"]["val_interval"] == 7
    assert config["data"]["train"]["image_size"] == 32  # the sweep's overrides land after the dataset section
    assert config["model"]["enhancer"] == {"type": "UNet", "base_channels": 4, "depth": 1}
    assert cells[0].cell_id != cells[1].cell_id


def test_method_labels():
    config = {"experiment": {"method": "U-Net"}}
    assert method_label({"model.image_prior.type": "HRNetPrior", "model.text_prior": {"type": "NoTextPrior"}},
                        config, "base") == "HRNetPrior+NoTextPrior"
    assert method_label({"model.enhancer.depth": 2}, config, "base") == "depth=2"
    assert method_label({"experiment.method": "Mine", "model.enhancer.depth": 2},
                        {"experiment": {"method": "Mine"}}, "base") == "Mine"
    assert method_label({}, config, "base") == "U-Net"
    assert method_label({}, {}, "base") == "base"


def test_columns_hold_each_cells_value_of_every_varied_key(write_sweep):
    spec = load_sweep(write_sweep(grid={"model.enhancer.depth": [1, 2]},
                                  include=[{"experiment.method": "Gamma",
                                            "model.enhancer": {"type": "GammaCorrection", "auto": True}}]))
    cells = build_cells(spec)
    assert [c.method for c in cells] == ["depth=1", "depth=2", "Gamma"]
    assert cells[0].columns["model.enhancer.depth"] == "1"
    assert cells[2].columns["model.enhancer.depth"] is None  # GammaCorrection has no depth
    assert cells[2].columns["model.enhancer"] == '{"auto":true,"type":"GammaCorrection"}'
    assert "experiment.method" not in cells[0].columns  # the method column carries it


def test_runtime_prior_cache_setting(tmp_path, write_sweep):
    cell = build_cells(load_sweep(write_sweep(grid={"model.enhancer.depth": [1]})))[0]
    assert runtime_config(cell, tmp_path)["prior_cache"] == {"root": str(tmp_path.resolve() / "prior_cache")}
    assert runtime_config(cell, tmp_path, prior_cache=False)["prior_cache"] is None
    cell.config["prior_cache"] = {"root": "/elsewhere", "max_gb": 1}
    assert runtime_config(cell, tmp_path)["prior_cache"] == {"root": "/elsewhere", "max_gb": 1}


def test_run_dir_holds_config_and_cell_and_reports_status(tmp_path, write_sweep):
    spec = load_sweep(write_sweep(grid={"model.enhancer.depth": [1]}))
    cell = build_cells(spec)[0]
    path = tmp_path / "wd" / cell.cell_id
    assert cell_status(path) == "pending"
    prepare_run_dir(cell, tmp_path / "wd", spec)
    assert cell_status(path) == "pending"  # prepared but not started
    info, config = read_cell(path)
    assert info["cell_id"] == cell.cell_id and info["overrides"] == {"model.enhancer.depth": 1}
    assert config["model"] == cell.config["model"] and "prior_cache" in config
    assert yaml.safe_load((path / "config.yaml").read_text()) == config
    (path / "iter_1.pth").write_bytes(b"")
    assert cell_status(path) == "partial"
    (path / "DONE").write_text("")
    assert cell_status(path) == "DONE"


def test_set_values_change_ids_but_switching_the_prior_cache_off_does_not(write_sweep, tmp_path):
    spec = load_sweep(write_sweep(grid={"model.enhancer.depth": [1, 2]}))
    ids = [p.cell.cell_id for p in make_plan(spec, tmp_path).cells]
    assert [p.cell.cell_id for p in make_plan(spec, tmp_path, prior_cache=False).cells] == ids
    changed = make_plan(spec, tmp_path, extra_overrides=["train.max_iters=3"]).cells
    assert not {p.cell.cell_id for p in changed} & set(ids)
    assert all(p.cell.config["train"]["max_iters"] == 3 for p in changed)
