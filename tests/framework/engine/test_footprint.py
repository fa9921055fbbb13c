"""The disk estimate of a training run, from its config alone, against the checkpoints a real run keeps."""
from __future__ import annotations

import copy

import pytest
import yaml

from llie.config import load_config
from llie.engine.footprint import build_for_counting, estimate_run
from llie.engine.training import train

from test_frozen_parts import PRIORED

#: an estimated checkpoint is within this fraction of the file written
TOLERANCE = 0.05


def _config(tmp_path, cfg):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return load_config(path)


@pytest.mark.parametrize("stages", [None, [{"name": "a", "iters": 2, "trainable": ["enhancer"]},
                                           {"name": "b", "iters": 3, "losses": ["pixel"]}]])
def test_estimated_checkpoints_match_the_files_a_run_keeps(tmp_path, stages):
    cfg_dict = copy.deepcopy(PRIORED)
    cfg_dict["train"].update(max_iters=5, val_interval=5, checkpoint_interval=2, keep_checkpoints=2)
    if stages:
        cfg_dict["train"]["stages"] = stages
    cfg = _config(tmp_path, cfg_dict)
    estimate = estimate_run(cfg)
    train(cfg, tmp_path / "w", progress=False)
    files = sorted((tmp_path / "w").rglob("iter_*.pth"))
    assert estimate.checkpoints == len(files) == (3 if stages else 2)  # stage a: iter 2; b: 2, 3; one run: 4, 5
    actual = sum(f.stat().st_size for f in files)
    assert abs(estimate.checkpoint_bytes - actual) <= TOLERANCE * actual, (estimate, actual)


def test_counting_reads_no_weights_and_leaves_the_frozen_text_prior_out(tmp_path):
    cfg_dict = copy.deepcopy(PRIORED)
    cfg_dict["model"]["image_prior"] = {**cfg_dict["model"]["image_prior"], "pretrained": str(tmp_path / "no.pth")}
    model = build_for_counting(cfg_dict)  # the weights file does not exist: counting must not need it
    assert model.text_prior is None and model.image_prior is not None
    assert estimate_run(cfg_dict).checkpoint_bytes > 0
