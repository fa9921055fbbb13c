"""``llie eval`` / ``llie enhance`` without ``--checkpoint``: training-free configs and published weights run as
their configs build them; a model whose trainable parameters no file provides is refused in one line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cli_inputs import error_lines, make_pairs, write_config, TINY
from llie.cli.main import main
from llie.data import read_image
from llie.zoo import find_local, get_entry

PUBLISHED = "experiments/baselines/published/{}.yaml"
#: (config, extra --set options, zoo weights it needs)
TRAINING_FREE = {
    "zero_dce_pp": (PUBLISHED.format("zero_dce_pp"), [], "zero_dce_pp"),
    "sci_medium": (PUBLISHED.format("sci_medium"), [], "sci_medium"),
    "gamma": ("experiments/baselines/gamma_lolv1.yaml", [], None),
    "clahe": ("experiments/baselines/clahe_lolv1.yaml", [], None),
    "input": ("experiments/baselines/gamma_lolv1.yaml",
              ["--set", "model.enhancer.auto=false", "--set", "+model.enhancer.gamma=1.0"], None),
}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # eval writes work_dirs/<name>/eval under the working directory


def needs_weights(name: str | None) -> None:
    if name is not None and find_local(get_entry(name)) is None:
        pytest.skip(f"weights '{name}' not on this machine ($LLIE_WEIGHTS, ../shared/weights)")


@pytest.mark.parametrize("case", sorted(TRAINING_FREE))
def test_eval_without_checkpoint(case, tmp_path):
    config, extra, weights = TRAINING_FREE[case]
    needs_weights(weights)
    pairs = make_pairs(tmp_path / "pairs")
    out = tmp_path / "eval.json"
    assert main(["eval", config, *extra, "--pairs", str(pairs / "low"), str(pairs / "high"), "--json", str(out),
                 "--no-progress"]) == 0
    payload = json.loads(out.read_text())
    assert payload["n_images"] == 3 and np.isfinite(payload["psnr"])
    if case == "input":  # the untouched input: PSNR of low against high
        low = read_image(pairs / "low" / "img0.png").clip(0, 1)
        high = read_image(pairs / "high" / "img0.png").clip(0, 1)
        expected = 10 * np.log10(1.0 / np.mean((low.astype(np.float64) - high) ** 2))
        assert payload["per_image"][0]["psnr"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("case", sorted(TRAINING_FREE))
def test_enhance_without_checkpoint(case, tmp_path):
    config, extra, weights = TRAINING_FREE[case]
    needs_weights(weights)
    pairs = make_pairs(tmp_path / "pairs")
    assert main(["enhance", config, *extra, str(pairs / "low"), str(tmp_path / "out")]) == 0
    for i in range(3):
        assert read_image(tmp_path / "out" / f"img{i}.png").shape == read_image(pairs / "low" / f"img{i}.png").shape


def test_enhance_without_checkpoint_uses_the_published_weights(tmp_path):
    needs_weights("zero_dce")
    from llie.plugin_door import load_plugins
    from llie.registry import build

    load_plugins()
    pairs = make_pairs(tmp_path / "pairs", n=1)
    assert main(["enhance", PUBLISHED.format("zero_dce"), str(pairs / "low"), str(tmp_path / "out")]) == 0
    low = torch.from_numpy(read_image(pairs / "low" / "img0.png")).permute(2, 0, 1)[None]
    with torch.no_grad():
        expected = build("enhancers", {"type": "ZeroDCE", "pretrained": "zero_dce"})(low)[0].permute(1, 2, 0)
    written = read_image(tmp_path / "out" / "img0.png")
    assert np.abs(written - expected.numpy()).max() <= 0.5 / 255 + 1e-6


def test_finetunable_published_weights_need_no_checkpoint(tmp_path):
    needs_weights("zero_dce")
    pairs = make_pairs(tmp_path / "pairs", n=1)
    assert main(["enhance", PUBLISHED.format("zero_dce"), "--set", "+model.enhancer.finetune=true",
                 str(pairs / "low"), str(tmp_path / "out")]) == 0


@pytest.mark.parametrize("command", ["eval", "enhance"])
@pytest.mark.parametrize("config", ["tiny", "zero_dce_scratch"])
def test_trainable_model_without_checkpoint_is_refused_in_one_line(command, config, tmp_path, capsys):
    path = write_config(tmp_path / "tiny.yaml", TINY) if config == "tiny" else PUBLISHED.format(config)
    pairs = make_pairs(tmp_path / "pairs", n=1)
    args = (["eval", str(path), "--pairs", str(pairs / "low"), str(pairs / "high"), "--no-progress"]
            if command == "eval" else ["enhance", str(path), str(pairs / "low"), str(tmp_path / "out")])
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(f"llie {command}: error:") and "a checkpoint is needed" in lines[0]
    assert "--checkpoint" in lines[0] and "enhancer." in lines[0]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
