"""The ``llie`` commands end to end on a tiny config: train, eval --pairs --json, enhance, plugins, errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from llie.cli.main import main
from llie.data import write_image

from cli_inputs import TINY  # the shared tiny config of the CLI tests


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(config), "--work-dir", str(root / "work"), "--no-progress"]) == 0
    ckpt = (root / "work" / "last_checkpoint").read_text().strip()
    return root, config, ckpt


def make_pairs(folder, n=2, size=(20, 28)):
    rng = np.random.default_rng(0)
    for i in range(n):
        high = rng.random((*size, 3)).astype(np.float32)
        write_image(folder / "low" / f"img{i}.png", high * 0.2)
        write_image(folder / "high" / f"img{i}.png", high)


def test_eval_on_pairs_writes_json(trained, capsys):
    root, config, ckpt = trained
    make_pairs(root / "pairs")
    out = root / "eval.json"
    code = main(["eval", str(config), "--checkpoint", ckpt, "--pairs", str(root / "pairs" / "low"),
                 str(root / "pairs" / "high"), "--protocol", "basicsr", "--gt-mean", "--json", str(out),
                 "--no-progress"])
    assert code == 0
    payload = json.loads(out.read_text())
    assert set(payload) == {"psnr", "ssim", "protocol", "gt_mean", "n_images", "per_image"}
    assert payload["protocol"] == "basicsr" and payload["gt_mean"] is True and payload["n_images"] == 2
    assert [r["name"] for r in payload["per_image"]] == ["img0", "img1"]
    assert abs(np.mean([r["psnr"] for r in payload["per_image"]]) - payload["psnr"]) < 1e-9
    assert "mean (2)" in capsys.readouterr().out


def test_enhance_folder_keeps_sizes_and_reports_bad_files(trained, tmp_path, capsys):
    root, config, ckpt = trained
    inputs = tmp_path / "in"
    write_image(inputs / "odd.png", np.full((13, 21, 3), 0.1, np.float32))  # not a multiple of anything
    write_image(inputs / "b.jpg", np.full((16, 16, 3), 0.2, np.float32))
    (inputs / "broken.png").write_bytes(b"")  # zero-byte file
    code = main(["enhance", str(config), "--checkpoint", ckpt, str(inputs), str(tmp_path / "out")])
    assert code == 1  # one bad file: non-zero, but the good ones are written
    from llie.data import read_image

    assert read_image(tmp_path / "out" / "odd.png").shape == (13, 21, 3)
    assert read_image(tmp_path / "out" / "b.png").shape == (16, 16, 3)
    assert not (tmp_path / "out" / "broken.png").exists()
    err = capsys.readouterr().err
    assert "broken.png" in err


def test_plugins_lists_components_with_their_plugin(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "UNet" in out and "unet" in out and "HRNetPrior" in out and "mmseg_priors" in out


def test_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({**TINY, "modle": {}}))
    assert main(["train", str(config), "--work-dir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown top-level key 'modle'" in err[0]


def test_unknown_component_is_one_line(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(config), "--set", "model.enhancer.type=UNett", "--work-dir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "closest: UNet" in err[0]


def test_enhance_batches_and_tiles(trained, tmp_path):
    root, config, ckpt = trained
    inputs = tmp_path / "in"
    rng = np.random.default_rng(1)
    for i in range(3):
        write_image(inputs / f"s{i}.png", rng.random((24, 40, 3)).astype(np.float32) * 0.3)
    whole = tmp_path / "whole"
    tiled = tmp_path / "tiled"
    assert main(["enhance", str(config), "--checkpoint", ckpt, str(inputs), str(whole), "--batch", "1"]) == 0
    # a tile that covers the image reproduces the untiled output; batching does not change results
    assert main(["enhance", str(config), "--checkpoint", ckpt, str(inputs), str(tiled), "--batch", "3",
                 "--tile", "64", "--overlap", "8"]) == 0
    from llie.data import read_image

    for i in range(3):
        a, b = read_image(whole / f"s{i}.png"), read_image(tiled / f"s{i}.png")
        assert np.abs(a - b).max() <= 1 / 255 + 1e-6
