"""Image grids and the whole report from real (tiny) trained run directories."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from llie.config import load_config, to_plain
from llie.engine.training import train
from llie.report import build_report
from llie.report.grids import HEADER, PAD, TILE_HEIGHT, class_palette

TINY = ["train.max_iters=2", "train.val_interval=2", "train.checkpoint_interval=2", "train.log_interval=1",
        "data.batch_size=2", "data.train.image_size=32", "data.train.crop_size=32", "data.train.variants_per_image=1",
        "data.val.image_size=32", "data.val.variants_per_image=1",
        "model.enhancer.base_channels=4", "model.enhancer.depth=2"]
#: cell id → (method, extra overrides)
CELLS = {
    "aaaaaaaaaaaa": ("U-Net", []),
    "bbbbbbbbbbbb": ("U-Net+HRNet", ["model.image_prior={type: HRNetPrior, variant: tiny, num_classes: 5}"]),
    "cccccccccccc": ("Gamma", ["model.enhancer={type: GammaCorrection}"]),
}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in ("href", "src")]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Three trained cells of one sweep (2 iterations each) and a results store naming them."""
    sweep_dir = tmp_path_factory.mktemp("grids") / "demo"
    rows = []
    for cell_id, (method, extra) in CELLS.items():
        cfg = load_config("experiments/unet/unet_synthetic.yaml", [*TINY, *extra])
        run_dir = sweep_dir / cell_id
        train(cfg, run_dir, progress=False)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg._cfg_dict), sort_keys=False))
        for metric, value in (("psnr", 10.0 + len(rows)), ("ssim", 0.3)):
            rows.append({"sweep": "demo", "cell_id": cell_id, "method": method, "dataset": "synthetic", "seed": 0,
                         "metric": metric, "value": value, "protocol": "retinexformer", "gt_mean": False,
                         "crop_border": 0, "y_channel": False, "n_images": 4, "params": 1000, "trainable_params": 0,
                         "flops_g": float("nan"), "train_time_s": 1.0, "eval_time_s": 1.0,
                         "finished_at": "2025-01-01T00:00:00", "model.enhancer.type": method})
    pd.DataFrame(rows).to_parquet(sweep_dir / "results.parquet", index=False)
    return sweep_dir


@pytest.fixture(scope="module")
def full_report(sweep, tmp_path_factory):
    return build_report(sweep, tmp_path_factory.mktemp("report") / "out", images=True)


def test_config_yaml_reads_back(sweep):
    cfg = load_config(sweep / "bbbbbbbbbbbb" / "config.yaml")
    assert cfg.model.image_prior.type == "HRNetPrior" and cfg.data.val.image_size == 32


def test_report_with_grid_training_curves_and_index(full_report):
    report = full_report
    grid_path = report.out_dir / "grid_synthetic.png"
    assert grid_path in report.files
    # rows: the first 3 sorted test names; columns: input, 3 methods, GT, one segmentation prior
    rows, cols = 3, 1 + len(CELLS) + 1 + 1
    with Image.open(grid_path) as grid:
        assert grid.size == (PAD + cols * (TILE_HEIGHT + PAD), HEADER + PAD + rows * (TILE_HEIGHT + PAD))
        pixels = np.asarray(grid.convert("RGB"), dtype=float)

    def tile(r, c):
        top, left = HEADER + PAD + r * (TILE_HEIGHT + PAD), PAD + c * (TILE_HEIGHT + PAD)
        return pixels[top:top + TILE_HEIGHT - 20, left:left + TILE_HEIGHT]  # above the name label

    assert tile(0, 0).mean() < tile(0, 4).mean()  # the low-light input is darker than the ground truth
    prior = tile(0, 5).reshape(-1, 3).astype(int)
    palette = {tuple(c) for c in class_palette(5).tolist()}
    assert {tuple(p) for p in prior[::97]} <= palette  # argmax colours only (nearest upsampling)
    html = report.index.read_text()
    assert "clock_v0, coffee_v0, retina_v0" in html  # first three test names, sorted
    assert (report.out_dir / "training_curves.png").is_file()
    assert any("FLOPs" in note for note in report.notes)
    assert not any("image grid" in note for note in report.notes)


def test_index_links_only_to_files_that_exist(full_report):
    report = full_report
    parser = Links()
    parser.feed(report.index.read_text())
    assert parser.targets, "the page links nothing"
    for target in parser.targets:
        assert not re.match(r"^[a-z]+:", target) and not target.startswith("/")  # relative, offline
        assert (report.out_dir / target).is_file(), target
    names = {p.name for p in report.out_dir.iterdir() if not p.name.startswith(".")} - {"index.html"}
    assert names <= set(parser.targets)  # and everything written is reachable
    assert "<script" not in report.index.read_text()


def test_a_broken_cell_is_left_out_of_the_grid_with_a_note(sweep, tmp_path):
    import shutil

    from llie.report.grids import write_grids

    broken = tmp_path / "demo"
    shutil.copytree(sweep, broken)
    for pth in (broken / "cccccccccccc").glob("*.pth"):
        pth.unlink()
    (broken / "cccccccccccc" / "last_checkpoint").unlink()
    cells = pd.DataFrame({"cell_id": list(CELLS), "row": [m for m, _ in CELLS.values()],
                          "dataset": ["synthetic"] * 3, "seed": [0] * 3})
    notes = []
    ((label, path, names),) = write_grids(broken, cells, tmp_path / "out", notes=notes)
    assert label == "Synthetic" and names == ["clock_v0", "coffee_v0", "retina_v0"]
    assert any("left out Gamma" in note and "no checkpoint" in note for note in notes)
    with Image.open(path) as grid:
        assert grid.width == PAD + (1 + 2 + 1 + 1) * (TILE_HEIGHT + PAD)


def test_checkpoint_lookup_prefers_the_copy_inside_a_moved_run_dir(sweep, tmp_path):
    import shutil

    from llie.report.grids import find_checkpoint

    moved = tmp_path / "cell"
    shutil.copytree(sweep / "aaaaaaaaaaaa", moved)
    found = find_checkpoint(moved)
    assert found is not None and found.parent == moved  # not the original the absolute pointer names
    (moved / "last_checkpoint").unlink()
    assert find_checkpoint(moved) == found  # newest *.pth without a pointer
