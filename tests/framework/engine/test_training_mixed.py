"""Training on mixed sources through mmengine's Runner: per-source loss terms logged, workers, resume replaying the
same batches; and single-source training pinned to the numbers it gave before sources existed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from llie.config import load_config
from llie.data.fixtures import write_layout
from llie.engine.stages import plan_stages
from llie.engine.training import last_checkpoint, train

SYNTHETIC = {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1, "crop_size": 16,
             "augment": True}


def mixed_config(unpaired: Path, losses: list, workers: int = 0) -> dict:
    return {
        "seed": 0,
        "model": {"enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}, "losses": losses},
        "data": {"batch_size": 4, "num_workers": workers,
                 "train": {"type": "MixedSources", "sources": {
                     "synthetic": {"share": 0.5, "dataset": SYNTHETIC},
                     "real": {"share": 0.5, "dataset": {"type": "UnpairedFolder", "root": str(unpaired),
                                                        "crop_size": 16, "augment": True}}}},
                 "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1,
                         "photos": ["coffee"]}},
        "train": {"max_iters": 4, "val_interval": 4, "checkpoint_interval": 2, "log_interval": 1,
                  "optimizer": {"type": "AdamW", "lr": 0.01}},
    }


def run(tmp_path: Path, cfg: dict, work: str, *overrides: str):
    path = tmp_path / f"{work}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return train(load_config(path, list(overrides)), tmp_path / work, progress=False)


def logged(work_dir: Path) -> list[dict]:
    lines = []
    for log in sorted(work_dir.glob("**/vis_data/scalars.json")):
        lines += [json.loads(line) for line in log.read_text().splitlines()]
    return [{k: v for k, v in line.items() if k.startswith("loss") or k == "iter"} for line in lines if "loss" in line]


@pytest.fixture(scope="module")
def unpaired(tmp_path_factory):
    return write_layout("unpaired_folder", tmp_path_factory.mktemp("real") / "real", size=(40, 32))


DETERMINISTIC = [{"type": "PixelLoss", "kind": "charbonnier"},
                 {"type": "SpatialConsistencyLoss", "sources": ["real"]}]


@pytest.mark.parametrize("workers", [0, 1])
def test_mixed_run_logs_each_source_term_and_trains(tmp_path, unpaired, workers):
    losses = [*DETERMINISTIC, {"type": "SyntheticToRealConsistencyLoss", "sources": ["real"]}]
    result = run(tmp_path, mixed_config(unpaired, losses, workers), "mixed")
    lines = logged(tmp_path / "mixed")
    assert [line["iter"] for line in lines] == [1, 2, 3, 4]
    assert set(lines[0]) == {"iter", "loss", "loss_pixel_synthetic", "loss_spatial_consistency_real",
                             "loss_s2r_consistency_real"}
    for line in lines:  # mmengine's objective is the sum of the per-source terms
        terms = [v for k, v in line.items() if k.startswith("loss_")]
        assert line["loss"] == pytest.approx(sum(terms), rel=1e-5)
    assert result.checkpoint.name == "iter_4.pth" and "psnr" in result.metrics


def test_resumed_mixed_run_sees_the_same_batches_and_ends_with_the_same_weights(tmp_path, unpaired):
    cfg = mixed_config(unpaired, DETERMINISTIC)
    run(tmp_path, cfg, "straight")
    run(tmp_path, cfg, "resumed", "train.max_iters=2", "train.val_interval=2")
    assert last_checkpoint(tmp_path / "resumed").name == "iter_2.pth"
    run(tmp_path, cfg, "resumed")  # continues at iteration 2
    straight, resumed = logged(tmp_path / "straight"), logged(tmp_path / "resumed")
    assert [line["iter"] for line in resumed] == [1, 2, 3, 4]
    assert resumed[2:] == straight[2:]  # iterations 3 and 4: the same batches, the same losses
    a = torch.load(last_checkpoint(tmp_path / "straight"), weights_only=True)["state_dict"]
    b = torch.load(last_checkpoint(tmp_path / "resumed"), weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_stage_crop_size_reaches_every_source(tmp_path, unpaired):
    cfg = mixed_config(unpaired, DETERMINISTIC)
    cfg["train"]["stages"] = [{"name": "small", "iters": 1, "crop_size": 8, "losses": ["pixel"]}]
    path = tmp_path / "staged.yaml"
    path.write_text(yaml.safe_dump(cfg))
    stage = plan_stages(load_config(path))[0]
    sources = stage.cfg["data"]["train"]["sources"]
    assert [sources[n]["dataset"]["crop_size"] for n in ("synthetic", "real")] == [8, 8]
    train(load_config(path), tmp_path / "staged", progress=False)
    assert {k for line in logged(tmp_path / "staged") for k in line} == {"iter", "loss", "loss_pixel_synthetic"}


#: what single-source training logged before mixed sources existed (same seed, same tiny config); the numbers must
#: not move
PINNED = [{"loss_pixel": 0.4707111418247223, "loss_edge": 0.0066383578814566135,
           "loss_spatial_consistency": 0.0018842462450265884},
          {"loss_pixel": 0.36414481699466705, "loss_edge": 0.004355540266260505,
           "loss_spatial_consistency": 0.0010485298844287172},
          {"loss_pixel": 0.3737543225288391, "loss_edge": 0.0043440526351332664,
           "loss_spatial_consistency": 0.0007083356225242218}]


def test_single_source_training_is_unchanged(tmp_path):
    cfg = {"seed": 0,
           "model": {"enhancer": {"type": "UNet", "base_channels": 4, "depth": 1},
                     "losses": [{"type": "PixelLoss", "kind": "charbonnier"}, {"type": "EdgeLoss", "weight": 0.1},
                                {"type": "SpatialConsistencyLoss"}]},
           "data": {"batch_size": 2, "train": SYNTHETIC,
                    "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1}},
           "train": {"max_iters": 3, "val_interval": 3, "checkpoint_interval": 3, "log_interval": 1,
                     "optimizer": {"type": "AdamW", "lr": 0.01}}}
    run(tmp_path, cfg, "plain")
    lines = logged(tmp_path / "plain")
    assert [{k: v for k, v in line.items() if k.startswith("loss_")} for line in lines] == \
        [pytest.approx(p, rel=1e-6) for p in PINNED]
