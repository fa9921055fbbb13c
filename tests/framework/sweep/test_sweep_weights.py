"""Cells whose zoo weights are missing on an offline machine: found from their configs before anything runs, and —
with ``missing_weights: skip`` — left out of the plan with one line naming the file that would enable them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llie.cli.main import main
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.weights import find_missing_weights, leave_out, needed_weights
from llie.zoo import ZOO

SCI = {"type": "SemanticPriorModel", "enhancer": {"type": "SCI", "pretrained": "sci_easy"}, "losses": []}
GAMMA = {"type": "SemanticPriorModel", "enhancer": {"type": "GammaCorrection", "auto": True}, "losses": []}


@pytest.fixture
def no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An offline machine with no zoo file anywhere: empty $LLIE_WEIGHTS and user cache, no ../shared/weights."""
    empty = tmp_path / "weights"
    empty.mkdir()
    monkeypatch.setenv("LLIE_WEIGHTS", str(empty))
    monkeypatch.setenv("LLIE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LLIE_OFFLINE", "1")
    monkeypatch.setattr("llie.zoo.resolve.shared_weights_dir", lambda: None)
    return empty


def _sweep(tmp_path: Path, **fields) -> Path:
    body = {"name": "w", "base": "experiments/unet/unet_synthetic.yaml",
            "include": [{"experiment.method": "SCI (easy)", "model": SCI},
                        {"experiment.method": "Gamma", "model": GAMMA}], **fields}
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump({"sweep": body}))
    return path


def test_needed_weights_are_the_zoo_names_and_zoo_files_named_by_pretrained_anywhere(tmp_path):
    existing = tmp_path / "mine.pth"
    existing.write_bytes(b"x")
    config = {"model": {"image_prior": {"type": "ESPNetv2Prior", "pretrained": "espnetv2_voc"},
                        "text_prior": {"type": "X", "pretrained": None},
                        "enhancer": {"type": "SCI", "pretrained": "/nowhere/zero_dce_epoch99.pth"},
                        "losses": [{"type": "L", "pretrained": "sci_easy"}, {"type": "M", "pretrained": str(existing)}],
                        "decomposer": {"type": "D", "pretrained": "not_a_zoo_name"}},
              "note": {"espnetv2_voc": "not under a pretrained key"}}
    assert [e.name for e in needed_weights(config)] == ["espnetv2_voc", "zero_dce", "sci_easy"]


def test_offline_cells_without_their_weights_are_found_and_left_out(tmp_path, no_weights):
    plan = make_plan(load_sweep(_sweep(tmp_path)), tmp_path / "wd")
    missing = find_missing_weights(plan)
    assert [(m.entry.name, m.methods) for m in missing] == [("sci_easy", ["SCI (easy)"])]
    line = missing[0].line()
    assert line.startswith("left out: SCI (easy) (1 cell): weights 'sci_easy' (sci_easy.pt) are not on this machine")
    assert "LLIE_OFFLINE=1" in line and str(no_weights) in line and "`llie weights fetch sci_easy`" in line
    leave_out(plan, missing)
    assert [p.cell.method for p in plan.cells] == ["Gamma"]


def test_a_local_copy_anywhere_in_the_search_path_keeps_the_cell(tmp_path, no_weights):
    (no_weights / ZOO["sci_easy"].file).write_bytes(b"stand-in")  # only its presence is checked before running
    plan = make_plan(load_sweep(_sweep(tmp_path)), tmp_path / "wd")
    assert find_missing_weights(plan) == []


def test_done_cells_need_no_weights(tmp_path, no_weights):
    plan = make_plan(load_sweep(_sweep(tmp_path)), tmp_path / "wd")
    for planned in plan.cells:
        planned.status = "DONE"
    assert find_missing_weights(plan) == []


def test_sweep_skips_them_without_failing_and_runs_the_rest(tmp_path, no_weights, capsys):
    """`llie sweep` with missing_weights: skip: exit 0, one line for the left-out cell, the others run and stored."""
    from llie.sweep.store import read_store

    path = _sweep(tmp_path, missing_weights="skip",
                  overrides={"data.val": {"type": "SyntheticPairs", "split": "test", "image_size": 32,
                                          "variants_per_image": 1, "photos": ["coffee"]}}, report={"samples": 0})
    assert main(["sweep", str(path), "--work-dir", str(tmp_path / "wd"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "left out: SCI (easy) (1 cell): weights 'sci_easy' (sci_easy.pt)" in out
    assert "1/1 cells DONE" in out and "0 failed" in out
    assert set(read_store(tmp_path / "wd" / "w")["method"]) == {"Gamma"}


def test_dry_run_marks_them_and_the_default_policy_is_to_fail(tmp_path, no_weights, capsys):
    path = _sweep(tmp_path)
    assert main(["sweep", str(path), "--dry-run", "--work-dir", str(tmp_path / "wd")]) == 0
    out = capsys.readouterr().out
    assert "no weights" in out and "would fail: SCI (easy) (1 cell)" in out
    assert main(["sweep", str(path), "--dry-run", "--missing-weights", "skip", "--work-dir",
                 str(tmp_path / "wd")]) == 0
    assert "would be left out: SCI (easy) (1 cell)" in capsys.readouterr().out
