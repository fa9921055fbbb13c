"""``llie prior``: pictures and JSON per image, low-vs-GT label agreement with --pairs, one-line errors, fast start.

The end-to-end runs use the shipped ``deepspg_espnet.yaml`` with a random-init prior (``pretrained=null``); one more
runs the real VOC weights on scikit-image's cat when they are on this machine."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from llie.cli.main import main
from llie.data import read_image, write_image
from llie.plugins.espnet_prior.classes import VOC_CLASSES
from llie.zoo import find_local, get_entry

from cli_inputs import error_lines, make_pairs

CONFIG = "experiments/deepspg/deepspg_espnet.yaml"
RANDOM = ["--set", "model.image_prior.pretrained=null"]


def run_prior(*args: str) -> int:
    """``llie prior CONFIG [INPUT ...] OPTIONS --set model.image_prior.pretrained=null``."""
    return main(["prior", CONFIG, *args, *RANDOM])


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return make_pairs(tmp_path_factory.mktemp("prior_pairs"), n=3)


def test_inputs_write_class_and_level_pictures_and_json(pairs, tmp_path, capsys):
    single = tmp_path / "img0.png"  # the same stem as a file of the folder: both kept, under distinct names
    write_image(single, np.random.default_rng(1).random((24, 31, 3)).astype(np.float32))
    out, report = tmp_path / "maps", tmp_path / "prior.json"
    assert run_prior(str(pairs / "high"), str(single), "--out", str(out), "--json", str(report)) == 0
    payload = json.loads(report.read_text())
    assert set(payload) == {"config", "prior", "num_classes", "class_names", "images"}
    assert payload["num_classes"] == 21 and payload["class_names"] == list(VOC_CLASSES)
    assert payload["prior"].startswith("ESPNetv2Prior(") and payload["prior"].endswith("@random")
    names = [entry["name"] for entry in payload["images"]]
    assert names == ["img0", "img1", "img2", "img0_2"]
    for entry in payload["images"]:
        assert entry["role"] == "input"
        fractions = entry["class_fractions"]
        assert set(fractions) <= set(VOC_CLASSES) and abs(sum(fractions.values()) - 1) < 1e-9
        assert list(fractions.values()) == sorted(fractions.values(), reverse=True)
        assert [(lv["stride"], lv["channels"]) for lv in entry["levels"]] == [(2, 32), (4, 128), (8, 256), (16, 512)]
        for kind in ("classes", "levels"):
            assert entry["files"][kind] == str(out / f"{entry['name']}_{kind}.png")
    last = payload["images"][-1]
    assert (last["height"], last["width"]) == (24, 31)
    panel = read_image(out / "img0_2_classes.png")
    assert panel.shape[0] >= 24 and panel.shape[1] > 31  # the blended image with the legend to its right
    assert str(single) in capsys.readouterr().out


def test_pairs_measure_label_agreement(pairs, tmp_path, capsys):
    report = tmp_path / "pairs.json"
    assert run_prior("--pairs", str(pairs / "low"), str(pairs / "high"), "--out", str(tmp_path / "m"),
                     "--json", str(report)) == 0
    payload = json.loads(report.read_text())
    assert [(e["name"], e["role"]) for e in payload["images"]] == [
        (f"img{i}_{role}", role) for i in range(3) for role in ("low", "high")]
    rows = payload["pairs"]
    assert [r["name"] for r in rows] == ["img0", "img1", "img2"]
    for row in rows:
        assert 0.0 <= row["pixel_accuracy"] <= 1.0 and 0.0 <= row["miou"] <= 1.0
        assert set(row["classes"]) <= set(VOC_CLASSES)
    mean = payload["agreement"]
    assert mean["n_pairs"] == 3
    assert mean["pixel_accuracy"] == pytest.approx(np.mean([r["pixel_accuracy"] for r in rows]))
    assert mean["miou"] == pytest.approx(np.mean([r["miou"] for r in rows]))
    assert "mean (3)" in capsys.readouterr().out


def test_a_prior_without_class_scores_draws_levels_only_and_refuses_pairs(pairs, tmp_path, capsys):
    tiny = ["prior", "experiments/deepspg/deepspg_tiny.yaml"]
    no_logits = ["--set", "+model.image_prior.with_logits=false"]
    report = tmp_path / "levels.json"
    assert main([*tiny, str(pairs / "low" / "img1.png"), "--out", str(tmp_path / "m"), "--json", str(report),
                 *no_logits]) == 0
    entry = json.loads(report.read_text())["images"][0]
    assert entry["class_fractions"] is None and set(entry["files"]) == {"levels"}
    capsys.readouterr()
    assert main([*tiny, "--pairs", str(pairs / "low"), str(pairs / "high"), "--out", str(tmp_path / "m"),
                 *no_logits]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "gives no class scores" in lines[0]


@pytest.mark.parametrize("case,message", [
    ("missing input", "input not found"),
    ("nothing to look at", "give images or folders"),
    ("no prior", "model.image_prior is none"),
    ("json is a folder", "it is a folder"),
    ("unknown key", "image_prior"),
])
def test_bad_input_is_one_line(case, message, pairs, tmp_path, capsys):
    image = str(pairs / "low" / "img0.png")
    args = {
        "missing input": ["prior", CONFIG, str(tmp_path / "nope.png"), "--out", str(tmp_path), *RANDOM],
        "nothing to look at": ["prior", CONFIG, "--out", str(tmp_path), *RANDOM],
        "no prior": ["prior", CONFIG, image, "--out", str(tmp_path), "--set", "model.image_prior=none"],
        "json is a folder": ["prior", CONFIG, image, "--out", str(tmp_path), "--json", str(tmp_path), *RANDOM],
        "unknown key": ["prior", CONFIG, image, "--out", str(tmp_path), "--set", "model.image_prior.pretraind=null"],
    }[case]
    assert main(args) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and message in lines[0]


def test_real_voc_weights_see_the_cat(tmp_path):
    if find_local(get_entry("espnetv2_voc")) is None:
        pytest.skip("zoo weights espnetv2_voc not on this machine ($LLIE_WEIGHTS or ../shared/weights)")
    from skimage import data

    Image.fromarray(data.chelsea()).resize((384, 384), Image.BILINEAR).save(tmp_path / "chelsea.png")
    report = tmp_path / "cat.json"
    assert main(["prior", CONFIG, str(tmp_path / "chelsea.png"), "--out", str(tmp_path / "m"), "--json",
                 str(report)]) == 0
    fractions = json.loads(report.read_text())["images"][0]["class_fractions"]
    assert next(name for name in fractions if name != "background") == "cat"
    assert fractions["cat"] == pytest.approx(0.7866, abs=0.01)


def test_the_command_line_starts_without_importing_torch():
    code = ("import sys; from llie.cli.main import build_parser; build_parser().parse_args(['prior', 'c.yaml', "
            "'--out', 'o']); print(sorted(m for m in ('torch', 'numpy', 'mmengine', 'PIL') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
