"""``llie eval`` on bad inputs: broken images (no JSON written), ``--skip-bad-pairs``, bad checkpoints, bad output
paths — each one line on stderr and exit status 2, or a clean run that leaves the bad pair out."""
from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest
import torch

from cli_inputs import BROKEN_KINDS, break_file, error_lines, make_pairs
from llie.cli.main import main
from llie.data import write_image


def eval_args(tiny_run, pairs, json_out, *extra, checkpoint=None):
    config, ckpt = tiny_run
    return ["eval", str(config), "--checkpoint", str(checkpoint or ckpt), "--pairs", str(pairs / "low"),
            str(pairs / "high"), "--json", str(json_out), "--no-progress", *extra]


@pytest.mark.parametrize("kind", BROKEN_KINDS)
def test_broken_image_fails_naming_it_and_writes_no_json(tiny_run, tmp_path, capsys, kind):
    pairs = make_pairs(tmp_path / "pairs")
    break_file(pairs / "low" / "img1.png", kind)
    out = tmp_path / "results" / "eval.json"
    assert main(eval_args(tiny_run, pairs, out)) == 2
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("llie eval: error:") and str(pairs / "low" / "img1.png") in lines[0]
    assert not out.exists() and not list(out.parent.glob("*"))  # no JSON, not even a temporary one


@pytest.mark.parametrize("fault", ["truncated", "size_mismatch", "orphan"])
def test_skip_bad_pairs_leaves_the_pair_out_of_the_means(tiny_run, tmp_path, capsys, caplog, fault):
    pairs = make_pairs(tmp_path / "pairs", n=4)
    if fault == "truncated":
        break_file(pairs / "high" / "img2.png", "truncated")
    elif fault == "size_mismatch":
        write_image(pairs / "high" / "img2.png", np.zeros((8, 8, 3), np.float32))
    else:
        (pairs / "high" / "img2.png").unlink()
    out = tmp_path / "eval.json"
    assert main(eval_args(tiny_run, pairs, out)) == 2  # without the option: refused
    assert not out.exists()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(eval_args(tiny_run, pairs, out, "--skip-bad-pairs")) == 0
    payload = json.loads(out.read_text())
    names = [row["name"] for row in payload["per_image"]]
    assert names == ["img0", "img1", "img3"] and payload["n_images"] == 3  # left out, not replaced by a neighbour
    assert payload["psnr"] == pytest.approx(np.mean([row["psnr"] for row in payload["per_image"]]))
    assert "img2.png" in caplog.text  # logged with its path


@pytest.fixture(scope="module")
def bad_checkpoints(tmp_path_factory):
    """Checkpoint files that must be refused, by case name → (path, expected message fragment)."""
    root = tmp_path_factory.mktemp("bad_ckpts")
    torch.save({"state_dict": {"w": torch.zeros(3)}}, root / "valid.pth")
    valid = (root / "valid.pth").read_bytes()
    (root / "truncated.pth").write_bytes(valid[: len(valid) // 2])
    (root / "empty.pth").write_bytes(b"")
    (root / "config.yaml").write_text("seed: 0\n")
    (root / "last_checkpoint").write_text(str(root / "valid.pth"))

    class RunsCode:
        def __reduce__(self):
            return (os.system, (f"touch {root / 'PWNED'}",))

    torch.save({"state_dict": {"w": torch.zeros(1)}, "meta": RunsCode()}, root / "malicious.pth")
    return root, {
        "missing": (root / "nothere.pth", "does not exist; check the path"),
        "directory": (root, "is a directory"),
        "empty": (root / "empty.pth", "is empty (0 bytes)"),
        "truncated": (root / "truncated.pth", "the file is truncated or not a PyTorch checkpoint"),
        "not_a_checkpoint": (root / "config.yaml", "is not a PyTorch checkpoint"),
        "pointer_file": (root / "last_checkpoint", f"it names '{root / 'valid.pth'}': pass that file"),
        "malicious_pickle": (root / "malicious.pth", "refused to load"),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "truncated", "not_a_checkpoint", "pointer_file",
                                  "malicious_pickle"])
def test_bad_checkpoint_is_one_line(tiny_run, tmp_path, capsys, bad_checkpoints, case):
    root, cases = bad_checkpoints
    path, expected = cases[case]
    pairs = make_pairs(tmp_path / "pairs", n=1)
    out = tmp_path / "eval.json"
    assert main(eval_args(tiny_run, pairs, out, checkpoint=path)) == 2
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err
    assert str(path) in lines[0] and expected in lines[0]
    assert not (root / "PWNED").exists()  # the pickled payload never ran
    assert not out.exists()


def test_wrong_architecture_lists_missing_and_unexpected_keys(tiny_run, tmp_path, capsys):
    config, ckpt = tiny_run
    pairs = make_pairs(tmp_path / "pairs", n=1)
    out = tmp_path / "eval.json"
    # another variant of the architecture: more levels than the checkpoint has
    assert main(eval_args(tiny_run, pairs, out, "--set", "model.enhancer.depth=2")) == 2
    line = error_lines(capsys.readouterr().err)[0]
    assert "does not fit SemanticPriorModel" in line and "missing (enhancer." in line and "more)" in line
    # renamed keys: both sides listed
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    state["enhancer.extra.weight"] = state.pop("enhancer.stem.0.weight")
    torch.save({"state_dict": state}, tmp_path / "renamed.pth")
    assert main(eval_args(tiny_run, pairs, out, checkpoint=tmp_path / "renamed.pth")) == 2
    line = error_lines(capsys.readouterr().err)[0]
    assert "1 missing (enhancer.stem.0.weight)" in line and "1 unexpected (enhancer.extra.weight)" in line
    assert not out.exists()


def test_unwritable_json_destination_fails_before_evaluating(tiny_run, tmp_path, capsys):
    pairs = make_pairs(tmp_path / "pairs", n=1)
    (tmp_path / "afile").write_text("a file where a folder is expected")
    assert main(eval_args(tiny_run, pairs, tmp_path / "afile" / "eval.json")) == 2
    captured = capsys.readouterr()
    lines = error_lines(captured.err)
    assert len(lines) == 1 and "cannot write" in lines[0] and "afile" in lines[0]
    assert "mean (" not in captured.out  # nothing was evaluated
