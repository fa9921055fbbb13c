"""Experiment tracking: ``vis_backends`` reach mmengine's visualiser — real TensorBoard event files hold the loss
terms and the validation PSNR/SSIM — and a bad backend entry fails in one line before training."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from llie.cli.main import main
from llie.config import load_config
from llie.config import tracking
from llie.engine.training import train
from llie.errors import ConfigError

TINY = {
    "seed": 0,
    "model": {"enhancer": {"type": "UNet", "base_channels": 4, "depth": 1},
              "losses": [{"type": "PixelLoss"}, {"type": "EdgeLoss", "weight": 0.1}]},
    "data": {"batch_size": 2,
             "train": {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1,
                       "crop_size": 16, "photos": ["astronaut", "chelsea"]},
             "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1,
                     "photos": ["coffee"]}},
    "train": {"max_iters": 4, "val_interval": 2, "checkpoint_interval": 4, "log_interval": 1,
              "optimizer": {"type": "AdamW", "lr": 0.01}},
}


def write_config(folder: Path, **extra) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({**copy.deepcopy(TINY), **extra}))
    return path


def scalars(event_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(event_dir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_tensorboard_events_hold_loss_terms_and_validation_metrics(tmp_path):
    pytest.importorskip("tensorboard", reason="TensorboardVisBackend needs tensorboard (pip install 'llie[tb]')")
    cfg = load_config(write_config(tmp_path, vis_backends=[{"type": "LocalVisBackend"},
                                                           {"type": "TensorboardVisBackend"}]))
    result = train(cfg, tmp_path / "work", progress=False)
    (events,) = (tmp_path / "work").rglob("events.out.tfevents.*")
    logged = scalars(events.parent)
    assert {"loss", "loss_pixel", "loss_edge", "lr"} <= set(logged)
    assert [step for step, _ in logged["loss_pixel"]] == [1, 2, 3, 4]
    assert [step for step, _ in logged["psnr"]] == [2, 4] and [step for step, _ in logged["ssim"]] == [2, 4]
    assert logged["psnr"][-1][1] == pytest.approx(result.metrics["psnr"], abs=1e-4)
    assert logged["ssim"][-1][1] == pytest.approx(result.metrics["ssim"], abs=1e-6)
    # the local backend writes the same scalars beside them
    (local,) = (tmp_path / "work").rglob("vis_data/scalars.json")
    lines = [json.loads(line) for line in local.read_text().splitlines()]
    assert any("loss_edge" in line for line in lines) and any("psnr" in line for line in lines)


def test_default_is_the_local_backend(tmp_path):
    cfg = load_config(write_config(tmp_path))
    assert tracking.visualizer_cfg(cfg) == {"type": "Visualizer", "vis_backends": [{"type": "LocalVisBackend"}]}
    named = load_config(write_config(tmp_path, vis_backends=["LocalVisBackend"]))
    assert tracking.visualizer_cfg(named)["vis_backends"] == [{"type": "LocalVisBackend"}]


def test_unknown_backend_type_is_one_line_naming_the_closest(tmp_path, capsys):
    config = write_config(tmp_path, vis_backends=[{"type": "TensorBoardBackend"}])
    with pytest.raises(ConfigError, match=r"vis_backends\[0\]: unknown backend type 'TensorBoardBackend' "
                                          r"\(did you mean 'TensorboardVisBackend'"):
        load_config(config)
    assert main(["train", str(config), "--work-dir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown backend type 'TensorBoardBackend'" in err[0]


@pytest.mark.parametrize("value, message", [
    ({"type": "LocalVisBackend"}, "key 'vis_backends' must be list or null"),
    ([{"save_dir": "x"}], r"vis_backends\[0\] must be a backend name or a mapping with a 'type'"),
])
def test_malformed_vis_backends_are_named(tmp_path, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tmp_path, vis_backends=value))


def test_missing_package_is_named_before_training(tmp_path, monkeypatch):
    monkeypatch.setitem(tracking.BACKENDS, "WandbVisBackend", ("llie_absent_package", "pip install wandb"))
    cfg = load_config(write_config(tmp_path, vis_backends=[{"type": "WandbVisBackend"}]))
    with pytest.raises(ConfigError, match=r"WandbVisBackend needs the 'llie_absent_package' package, which is not "
                                          r"installed: pip install wandb"):
        train(cfg, tmp_path / "work", progress=False)
    assert not list((tmp_path / "work").rglob("*.pth"))


def test_unknown_backend_argument_is_named(tmp_path):
    cfg = load_config(write_config(tmp_path, vis_backends=[{"type": "LocalVisBackend", "save_dri": "x"}]))
    with pytest.raises(ConfigError, match=r"LocalVisBackend: unknown argument 'save_dri' \(did you mean 'save_dir'"):
        tracking.visualizer_cfg(cfg)


def test_visualizer_cfg_needs_no_earlier_mmengine_import(tmp_path):
    """In a fresh process (nothing has registered mmengine's backends yet) the argument check still finds them."""
    import subprocess
    import sys

    config = write_config(tmp_path, vis_backends=["LocalVisBackend"])
    code = ("import sys; from llie.config import load_config; from llie.config.tracking import visualizer_cfg; "
            "print(visualizer_cfg(load_config(sys.argv[1]))['vis_backends'])")
    proc = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[{'type': 'LocalVisBackend'}]"
