"""``llie eval CONFIG --images DIR|NAME``: an unpaired set enhanced by a training-free model and scored with NIQE,
end to end through the command line, and its failures (one line, exit 2, no JSON)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cli_inputs import break_file, error_lines
from llie.cli.main import main
from llie.config import load_config
from llie.data import read_image, write_image
from llie.engine.training import load_trained_model
from llie.metrics import compute_niqe
from llie.paths import EXPERIMENTS

GAMMA = EXPERIMENTS / "baselines" / "gamma_synthetic.yaml"


@pytest.fixture(scope="module")
def gamma_checkpoint(tmp_path_factory):
    """The training-free gamma baseline's checkpoint (``llie train`` writes one without training)."""
    work = tmp_path_factory.mktemp("gamma")
    assert main(["train", str(GAMMA), "--work-dir", str(work), "--no-progress"]) == 0
    return (work / "last_checkpoint").read_text().strip()


def write_set(folder, names=("dusk", "night")):
    """Dark crops of scikit-image photos, large enough for NIQE (≥ two 96×96 blocks)."""
    from skimage import data

    photos = {"dusk": data.coffee()[100:300, 100:400], "night": data.chelsea()[40:240, 100:400]}
    for name in names:
        write_image(folder / f"{name}.png", photos[name].astype(np.float32) / 255 * 0.15)
    return folder


def eval_images(checkpoint, images, *extra):
    return ["eval", str(GAMMA), "--checkpoint", str(checkpoint), "--images", str(images), "--no-progress", *extra]


def test_json_holds_the_niqe_of_each_enhanced_image(gamma_checkpoint, tmp_path):
    folder = write_set(tmp_path / "set")
    out = tmp_path / "results" / "niqe.json"
    assert main(eval_images(gamma_checkpoint, folder, "--json", str(out))) == 0
    payload = json.loads(out.read_text())
    assert set(payload) == {"niqe", "protocol", "lower_is_better", "n_images", "per_image"}
    assert payload["protocol"] == "no-reference" and payload["lower_is_better"] == ["niqe"]
    assert payload["n_images"] == 2 and [row["name"] for row in payload["per_image"]] == ["dusk", "night"]
    assert payload["niqe"] == pytest.approx(np.mean([row["niqe"] for row in payload["per_image"]]))
    model = load_trained_model(load_config(str(GAMMA)), gamma_checkpoint)
    for row in payload["per_image"]:
        low = torch.from_numpy(read_image(folder / f"{row['name']}.png")).permute(2, 0, 1)[None]
        with torch.no_grad():
            enhanced = model(low).clamp(0, 1)
        assert row["niqe"] == pytest.approx(float(compute_niqe(enhanced)[0]), abs=1e-9)  # the output, scored
        assert row["niqe"] != pytest.approx(float(compute_niqe(low)[0]), abs=1e-3)  # not the input


def test_a_dataset_name_reads_its_folder_under_llie_data(gamma_checkpoint, tmp_path, monkeypatch):
    write_set(tmp_path / "data" / "NPE")
    monkeypatch.setenv("LLIE_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no ./npe folder: the name means the dataset
    out = tmp_path / "npe.json"
    assert main(eval_images(gamma_checkpoint, "npe", "--json", str(out), "--metrics", "niqe")) == 0
    assert json.loads(out.read_text())["n_images"] == 2


def test_a_test_split_without_ground_truth_is_scored_without_images_option(gamma_checkpoint, tmp_path, capsys):
    folder = write_set(tmp_path / "set", names=("night",))
    test_split = f"+data.test={{type: UnpairedFolder, root: {folder}}}"
    out = tmp_path / "split.json"
    args = ["eval", str(GAMMA), "--checkpoint", str(gamma_checkpoint), "--set", test_split, "--no-progress"]
    assert main(args + ["--json", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["protocol"] == "no-reference" and [r["name"] for r in payload["per_image"]] == ["night"]
    capsys.readouterr()
    assert main(["eval", str(GAMMA), "--checkpoint", str(gamma_checkpoint), "--metrics", "niqe", "--no-progress"]) == 2
    assert "this test split has ground truth" in capsys.readouterr().err  # the config's paired synthetic split


def test_skip_bad_pairs_leaves_an_unreadable_image_out(gamma_checkpoint, tmp_path, capsys):
    folder = write_set(tmp_path / "set")
    break_file(folder / "dusk.png", "truncated")
    out = tmp_path / "niqe.json"
    assert main(eval_images(gamma_checkpoint, folder, "--json", str(out))) == 2
    assert not out.exists()
    assert main(eval_images(gamma_checkpoint, folder, "--json", str(out), "--skip-bad-pairs")) == 0
    assert [row["name"] for row in json.loads(out.read_text())["per_image"]] == ["night"]
    assert f"skipped unreadable image {folder / 'dusk.png'}" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["empty_folder", "unreadable", "too_small", "unknown_metric", "with_pairs",
                                  "metrics_with_pairs", "unknown_name"])
def test_failures_are_one_line_naming_the_cause(gamma_checkpoint, tmp_path, capsys, monkeypatch, case):
    folder = tmp_path / "set"
    folder.mkdir()
    args, expected = eval_images(gamma_checkpoint, folder), None
    if case == "empty_folder":
        expected = f"no image files in {folder}"
    elif case == "unreadable":
        write_set(folder)
        break_file(folder / "night.png", "garbage")
        expected = str(folder / "night.png")
    elif case == "too_small":
        write_image(folder / "thumb.png", np.full((40, 60, 3), 0.1, np.float32))
        expected = "image 'thumb': NIQE needs at least two 96×96 blocks"
    elif case == "unknown_metric":
        args += ["--metrics", "niqe,nique"]
        expected = "unknown no-reference metric 'nique' (did you mean 'niqe'?)"
    elif case == "with_pairs":
        args += ["--pairs", str(folder), str(folder)]
        expected = "either --images"
    elif case == "metrics_with_pairs":
        args = ["eval", str(GAMMA), "--checkpoint", str(gamma_checkpoint), "--metrics", "niqe", "--pairs",
                str(folder), str(folder)]
        expected = "--metrics applies to no-reference evaluation"
    else:
        monkeypatch.chdir(tmp_path)
        args = eval_images(gamma_checkpoint, "dicn")
        expected = "not a folder, and not a dataset name (did you mean 'dicm'?)"
    out = tmp_path / "out.json"
    assert main(args + ["--json", str(out)]) == 2
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err and expected in lines[0], err
    assert not out.exists()
