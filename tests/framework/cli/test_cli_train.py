"""``llie train`` on bad inputs: config mistakes, dataset roots, broken images (in the main process and in DataLoader
workers), ``--skip-bad-pairs``, unusable work dirs — one line on stderr and exit status 2, before training starts."""
from __future__ import annotations

import copy
import logging
import shutil
from collections import namedtuple

import pytest

from cli_inputs import TINY, break_file, error_lines, make_pairs, write_config
from llie.cli.main import main


def train_one_line_error(capsys, config, *extra, work_dir) -> str:
    """Run ``llie train``; it must fail with exit 2 and exactly one error line, which is returned."""
    assert main(["train", str(config), "--work-dir", str(work_dir), "--no-progress", *extra]) == 2
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert lines[0].startswith("llie train: error: ")
    return lines[0]


#: case → (files {name: text}, extra arguments, fragments the error line must contain)
CONFIG_CASES = {
    "yaml_syntax": ({"c.yaml": "seed: 0\nmodel: {enhancer: {type: UNet}\n"}, [],
                    ["c.yaml", "line 3, column 1", "YAML syntax error"]),
    "unknown_key": ({"c.yaml": "_base_: tiny.yaml\ntrain: {max_iter: 3}\n"}, [],
                    ["c.yaml", "unknown key 'train.max_iter'", "did you mean 'max_iters'"]),
    "unknown_top_level_key": ({"c.yaml": "_base_: tiny.yaml\nmodle: {}\n"}, [],
                              ["c.yaml", "unknown top-level key 'modle'", "did you mean 'model'"]),
    "wrong_type": ({"c.yaml": "_base_: tiny.yaml\ntrain: {max_iters: '3'}\n"}, [],
                   ["c.yaml", "key 'train.max_iters' must be int, got str"]),
    "bad_base_path": ({"c.yaml": "_base_: nowhere/base.yaml\nseed: 1\n"}, [],
                      ["c.yaml", "_base_ 'nowhere/base.yaml' not found"]),
    "override_missing_key": ({"c.yaml": "_base_: tiny.yaml\n"}, ["--set", "train.max_iter=3"],
                             ["c.yaml", "override of a non-existent key 'train.max_iter'", "did you mean 'max_iters'"]),
    "component_argument": ({"c.yaml": "_base_: tiny.yaml\n"}, ["--set", "model.enhancer.base_chanels=4"],
                           ["c.yaml", "override of a non-existent key 'model.enhancer.base_chanels'",
                            "did you mean 'base_channels'"]),
    "component_argument_in_file": (
        {"c.yaml": "_base_: tiny.yaml\nmodel: {enhancer: {type: UNet, base_chanels: 4}}\n"}, [],
        ["enhancer 'UNet'", "unknown argument 'base_chanels'", "did you mean 'base_channels'"]),
    "unknown_component": ({"c.yaml": "_base_: tiny.yaml\n"}, ["--set", "model.enhancer.type=UNett"],
                          ["unknown enhancer 'UNett'", "'enhancers' registry", "closest: UNet"]),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_mistake_is_one_line_naming_file_and_key(tmp_path, capsys, case):
    files, extra, fragments = CONFIG_CASES[case]
    write_config(tmp_path / "tiny.yaml")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    line = train_one_line_error(capsys, tmp_path / "c.yaml", *extra, work_dir=tmp_path / "work")
    for fragment in fragments:
        assert fragment in line
    assert not list(tmp_path.glob("work/*.pth"))  # nothing was trained


@pytest.mark.parametrize("root_kind", ["missing", "wrong_layout"])
def test_dataset_root_problem_names_dataset_path_and_layout(tmp_path, capsys, root_kind):
    root = tmp_path / "LOL"
    if root_kind == "wrong_layout":
        (root / "Train" / "low").mkdir(parents=True)
    cfg = copy.deepcopy(TINY)
    cfg["data"]["train"] = {"type": "LOLv1", "root": str(root), "split": "train"}
    line = train_one_line_error(capsys, write_config(tmp_path / "c.yaml", cfg), work_dir=tmp_path / "work")
    assert "LOLv1" in line and str(root) in line and "Train/input + root/Train/target" in line


def paired_folder_config(tmp_path, workers: int = 0):
    pairs = make_pairs(tmp_path / "pairs", n=3)
    break_file(pairs / "low" / "img1.png", "truncated")
    cfg = copy.deepcopy(TINY)
    cfg["data"]["num_workers"] = workers
    cfg["data"]["train"] = {"type": "PairedFolder", "root": str(pairs), "crop_size": 16}
    cfg["data"]["val"] = {"type": "PairedFolder", "root": str(pairs)}
    return write_config(tmp_path / "c.yaml", cfg), pairs


@pytest.mark.parametrize("workers", [0, 1])
def test_broken_training_image_is_one_line_naming_it(tmp_path, capsys, workers):
    """Also from a DataLoader worker, which re-raises with the worker's traceback folded into the message."""
    config, pairs = paired_folder_config(tmp_path, workers)
    line = train_one_line_error(capsys, config, work_dir=tmp_path / "work")
    assert str(pairs / "low" / "img1.png") in line and "truncated or corrupt" in line


def test_skip_bad_pairs_option_trains_on_the_good_pairs(tmp_path, capsys, caplog):
    config, pairs = paired_folder_config(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert main(["train", str(config), "--work-dir", str(tmp_path / "work"), "--no-progress",
                     "--skip-bad-pairs"]) == 0
    assert "skipping bad pair" in caplog.text and str(pairs / "low" / "img1.png") in caplog.text
    assert (tmp_path / "work" / "iter_2.pth").is_file()


def test_unwritable_work_dir_is_one_line_before_training(tmp_path, capsys):
    (tmp_path / "afile").write_text("a file where a folder is expected")
    line = train_one_line_error(capsys, write_config(tmp_path / "c.yaml"), work_dir=tmp_path / "afile" / "work")
    assert "cannot write to the work dir" in line and str(tmp_path / "afile" / "work") in line


def test_full_disk_is_one_line_before_training(tmp_path, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(2**30, 2**30, 1024))
    line = train_one_line_error(capsys, write_config(tmp_path / "c.yaml"), work_dir=tmp_path / "work")
    assert "not enough disk space" in line and "MiB" in line
    assert not list((tmp_path / "work").glob("*.pth")) and not (tmp_path / "work" / "last_checkpoint").exists()
