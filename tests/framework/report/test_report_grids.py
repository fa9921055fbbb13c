"""Image grids laid out from the sample images evaluation saved, and the whole report, without any model code."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from llie.config import load_config
from llie.engine.builders import build_dataset, build_model
from llie.report import build_report
from llie.report.grids import HEADER, PAD, TILE_HEIGHT
from llie.sweep.samples import sample_dir, write_samples
from llie.visual.segmentation import class_palette as voc_palette

TINY = ["data.val.image_size=32", "data.val.variants_per_image=1",
        "model.enhancer.base_channels=4", "model.enhancer.depth=2"]
#: cell id → (method, extra overrides); row order in sweep.json: U-Net+HRNet, U-Net, Gamma
CELLS = {
    "aaaaaaaaaaaa": ("U-Net", []),
    "bbbbbbbbbbbb": ("U-Net+HRNet", ["model.image_prior={type: HRNetPrior, variant: tiny, num_classes: 5}"]),
    "cccccccccccc": ("Gamma", ["model.enhancer={type: GammaCorrection}"]),
}
ORDER = ["bbbbbbbbbbbb", "aaaaaaaaaaaa", "cccccccccccc"]
SAMPLES = 3


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in ("href", "src")]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Three cells' run dirs holding only what a report reads: saved samples (from untrained tiny models) and a
    results store; no config, no checkpoint."""
    sweep_dir = tmp_path_factory.mktemp("grids") / "demo"
    rows = []
    for cell_id, (method, extra) in CELLS.items():
        cfg = load_config("experiments/unet/unet_synthetic.yaml", [*TINY, *extra])
        write_samples(build_model(cfg), build_dataset(cfg, "test"), sample_dir(sweep_dir / cell_id, "synthetic"),
                      SAMPLES, dataset_name="synthetic")
        for metric, value in (("psnr", 10.0 + len(rows)), ("ssim", 0.3)):
            rows.append({"sweep": "demo", "cell_id": cell_id, "method": method, "dataset": "synthetic", "seed": 0,
                         "metric": metric, "value": value, "protocol": "retinexformer", "gt_mean": False,
                         "crop_border": 0, "y_channel": False, "n_images": 4, "params": 1000, "trainable_params": 10,
                         "flops_g": float("nan"), "train_time_s": 1.0, "eval_time_s": 1.0,
                         "finished_at": "2025-01-01T00:00:00", "model.enhancer.type": method})
    pd.DataFrame(rows).to_parquet(sweep_dir / "results.parquet", index=False)
    (sweep_dir / "sweep.json").write_text(json.dumps(
        {"name": "demo", "cells": [{"cell_id": c, "method": CELLS[c][0]} for c in ORDER]}))
    return sweep_dir


@pytest.fixture(scope="module")
def full_report(sweep, tmp_path_factory):
    return build_report(sweep, tmp_path_factory.mktemp("report") / "out", images=True)


def test_samples_hold_input_output_gt_and_the_prior_class_map(sweep):
    folder = sample_dir(sweep / "bbbbbbbbbbbb", "synthetic")
    manifest = json.loads((folder / "samples.json").read_text())
    names = [image["name"] for image in manifest["images"]]
    assert names == ["clock_v0", "coffee_v0", "retina_v0"]  # the first SAMPLES test names, sorted
    assert manifest["prior"].startswith("HRNetPrior") and manifest["num_classes"] == 5
    for kind in ("input", "gt", "output", "prior"):
        assert len(list((folder / kind).glob("*.png"))) == SAMPLES, kind
    with Image.open(folder / "prior" / "clock_v0.png") as prior, Image.open(folder / "input" / "clock_v0.png") as low:
        assert prior.size == low.size
        colours = {tuple(c) for c in np.asarray(prior.convert("RGB")).reshape(-1, 3).tolist()}
    assert colours <= {tuple(c) for c in voc_palette(5).tolist()}  # argmax classes, VOC colours only
    plain = sample_dir(sweep / "aaaaaaaaaaaa", "synthetic")
    assert not (plain / "prior").exists() and json.loads((plain / "samples.json").read_text())["prior"] is None


def test_report_with_grid_from_saved_images_and_index(full_report, sweep):
    report = full_report
    grid_path = report.out_dir / "grid_synthetic.png"
    assert grid_path in report.files
    # rows: the saved images; columns: input, 3 methods, GT, one segmentation prior
    rows, cols = SAMPLES, 1 + len(CELLS) + 1 + 1
    with Image.open(grid_path) as grid:
        assert grid.size == (PAD + cols * (TILE_HEIGHT + PAD), HEADER + PAD + rows * (TILE_HEIGHT + PAD))
        pixels = np.asarray(grid.convert("RGB"), dtype=float)

    def tile(r, c):
        top, left = HEADER + PAD + r * (TILE_HEIGHT + PAD), PAD + c * (TILE_HEIGHT + PAD)
        return pixels[top:top + TILE_HEIGHT - 20, left:left + TILE_HEIGHT]  # above the name label

    assert tile(0, 0).mean() < tile(0, 4).mean()  # the low-light input is darker than the ground truth
    with Image.open(sample_dir(sweep / "bbbbbbbbbbbb", "synthetic") / "output" / "clock_v0.png") as saved:
        expected = np.asarray(saved.convert("RGB").resize((TILE_HEIGHT, TILE_HEIGHT), Image.BICUBIC), dtype=float)
    # column 1 is the first row of the report's order (sweep.json): U-Net+HRNet's saved output
    assert np.abs(tile(0, 1) - expected[:TILE_HEIGHT - 20]).max() <= 1.0
    prior = tile(0, 5).reshape(-1, 3).astype(int)
    assert {tuple(p) for p in prior[::97]} <= {tuple(c) for c in voc_palette(5).tolist()}
    html = report.index.read_text()
    assert "clock_v0, coffee_v0, retina_v0" in html
    assert not any("image grid" in note for note in report.notes)


def test_the_report_imports_no_model_code(sweep, tmp_path):
    """Building a whole report (grids included) loads neither llie's engine, its plugins nor torch."""
    script = (f"import sys; from llie.report import build_report; "
              f"r = build_report({str(sweep)!r}, {str(tmp_path / 'out')!r}, images=True); "
              f"assert any(p.name.startswith('grid_') for p in r.files), r.notes; "
              f"heavy = sorted(m for m in sys.modules if m.startswith(('llie.engine', 'llie.plugins', 'llie.sweep',"
              f" 'torch', 'mmengine'))); print('HEAVY', heavy)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout


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


def test_a_cell_without_saved_samples_is_left_out_of_the_grid_with_a_note(sweep, tmp_path):
    import shutil

    from llie.report.grids import write_grids

    copy = tmp_path / "demo"
    shutil.copytree(sweep, copy)
    shutil.rmtree(copy / "cccccccccccc" / "samples")
    cells = pd.DataFrame({"cell_id": list(CELLS), "row": [m for m, _ in CELLS.values()],
                          "column": ["synthetic"] * 3, "dataset": ["synthetic"] * 3, "seed": [0] * 3})
    notes = []
    ((label, path, names),) = write_grids(copy, cells, tmp_path / "out", rows=["U-Net", "U-Net+HRNet", "Gamma"],
                                          labels={"synthetic": "Synthetic"}, notes=notes)
    assert label == "Synthetic" and names == ["clock_v0", "coffee_v0", "retina_v0"]
    assert len(notes) == 1 and "no saved sample images for Gamma" in notes[0]
    with Image.open(path) as grid:
        assert grid.width == PAD + (1 + 2 + 1 + 1) * (TILE_HEIGHT + PAD)


def test_two_priors_of_one_class_get_told_apart_in_the_grid_titles():
    from llie.report.grids import prior_title

    real = prior_title('ESPNetv2Prior(dataset="voc", width_scale=2.0)@bc479586b0ba')
    random = prior_title('ESPNetv2Prior(dataset="voc", width_scale=2.0)@random')
    assert real == "prior: ESPNetv2Prior @bc479586" and random == "prior: ESPNetv2Prior (random init)"
