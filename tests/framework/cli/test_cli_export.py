"""``llie export``: one weights-only file with the whole model and its config, that enhance/eval take alone."""
from __future__ import annotations

import copy
import json
import logging

import numpy as np
import pytest
import torch

from cli_inputs import TINY, make_pairs, write_config
from llie.cli.main import main
from llie.data import read_image

PRIOR = {"type": "HRNetPrior", "variant": "tiny", "num_classes": 4}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A 2-iteration model with a frozen prior loaded from a weights file, its enhance outputs from the training
    checkpoint, and its exported file — made after which the weights file is deleted."""
    from llie.registry import build

    root = tmp_path_factory.mktemp("export")
    torch.manual_seed(3)
    prior = build("image_priors", PRIOR)
    torch.save(prior.state_dict(), root / "prior.pth")
    cfg = copy.deepcopy(TINY)
    cfg["model"] = {"image_prior": {**PRIOR, "pretrained": str(root / "prior.pth")},
                    "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 4, "levels": 1,
                                 "sem_scales": [1, 2], "block_type": "conv"},
                    "losses": [{"type": "PixelLoss"}]}
    config = write_config(root / "priored.yaml", cfg)
    assert main(["train", str(config), "--work-dir", str(root / "work"), "--no-progress"]) == 0
    checkpoint = (root / "work" / "last_checkpoint").read_text().strip()
    pairs = make_pairs(root / "pairs")
    assert main(["enhance", str(config), "--checkpoint", checkpoint, str(pairs / "low"), str(root / "from_ckpt")]) == 0
    assert main(["eval", str(config), "--checkpoint", checkpoint, "--pairs", str(pairs / "low"), str(pairs / "high"),
                 "--json", str(root / "from_ckpt.json"), "--no-progress"]) == 0
    assert main(["export", str(config), checkpoint, str(root / "model.pth")]) == 0
    (root / "prior.pth").unlink()  # the exported file must not need it
    return root, config, pairs


def test_the_exported_file_loads_weights_only_with_the_whole_model_and_config(exported):
    root, _, _ = exported
    payload = torch.load(root / "model.pth", weights_only=True)
    assert payload["format"] == "llie-export/1" and "optimizer" not in payload
    assert [k for k in payload["state_dict"] if k.startswith("image_prior.")]
    assert payload["config"]["model"]["image_prior"]["pretrained"] == str(root / "prior.pth")
    assert payload["config"]["data"]["batch_size"] == 2


def test_enhance_with_the_exported_file_alone_reproduces_the_checkpoint_outputs(exported, caplog):
    root, _, pairs = exported
    with caplog.at_level(logging.WARNING):
        assert main(["enhance", "--checkpoint", str(root / "model.pth"), str(pairs / "low"),
                     str(root / "from_export")]) == 0
    assert "RANDOM" not in caplog.text  # the priors' weights come from the file: no random-init notice
    names = sorted(p.name for p in (root / "from_ckpt").iterdir())
    assert names and names == sorted(p.name for p in (root / "from_export").iterdir())
    for name in names:
        assert np.array_equal(read_image(root / "from_ckpt" / name), read_image(root / "from_export" / name)), name


def test_eval_with_the_exported_file_and_its_config_gives_the_same_numbers(exported):
    root, config, pairs = exported
    out = root / "from_export.json"
    assert main(["eval", str(config), "--checkpoint", str(root / "model.pth"), "--pairs", str(pairs / "low"),
                 str(pairs / "high"), "--json", str(out), "--no-progress"]) == 0
    assert json.loads(out.read_text()) == json.loads((root / "from_ckpt.json").read_text())


def test_a_config_with_another_model_is_refused_in_one_line(exported, capsys):
    root, config, pairs = exported
    code = main(["enhance", str(config), "--set", "model.enhancer.base_channels=8", "--checkpoint",
                 str(root / "model.pth"), str(pairs / "low"), str(root / "other")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "model.enhancer.base_channels differs from the model exported in" in err


def test_config_is_still_required_for_a_training_checkpoint(exported, capsys):
    root, _, pairs = exported
    checkpoint = (root / "work" / "last_checkpoint").read_text().strip()
    assert main(["enhance", "--checkpoint", checkpoint, str(pairs / "low"), str(root / "none")]) == 2
    assert "CONFIG is required unless --checkpoint is a file written by `llie export`" in capsys.readouterr().err
