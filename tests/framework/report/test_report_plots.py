"""Plots are valid PNGs; training curves come from mmengine's scalar logs, merged across resumed starts."""
from __future__ import annotations

import json

import pytest
from PIL import Image
from report_store_factory import make_results

from llie.report.aggregate import summarise
from llie.report.curves import collect_curves, read_losses
from llie.report.plots import ablation_heatmap, delta_matrix, metric_bars, psnr_vs_flops, training_curves


def assert_png(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()
    with Image.open(path) as image:
        assert image.width > 200 and image.height > 150


def write_scalars(run_dir, stamp, lines):
    folder = run_dir / stamp / "vis_data"
    folder.mkdir(parents=True)
    (folder / "scalars.json").write_text("\n".join(json.dumps(x) for x in lines) + "\n")


@pytest.fixture(scope="module")
def summary():
    return summarise(make_results(), "demo")[0]


def test_bars_heatmap_and_scatter_are_pngs(summary, tmp_path):
    assert_png(metric_bars(summary, tmp_path / "bars.png"))
    assert_png(ablation_heatmap(summary, "DeepSPG", tmp_path / "heat.png"))
    assert_png(psnr_vs_flops(summary, tmp_path / "flops.png"))


def test_heatmap_values_are_psnr_deltas_to_the_reference(summary):
    matrix = delta_matrix(summary, "U-Net")
    assert (matrix.loc["U-Net"] == 0).all()
    assert matrix.at["DeepSPG", "LOL-v1"] == pytest.approx(
        summary.mean("DeepSPG", "lolv1", "psnr") - summary.mean("U-Net", "lolv1", "psnr"))


def test_scatter_is_skipped_without_flops(tmp_path):
    no_flops = summarise(make_results(flops=False), "demo")[0]
    assert psnr_vs_flops(no_flops, tmp_path / "flops.png") is None
    assert not (tmp_path / "flops.png").exists()


def test_losses_merge_resumed_starts_and_skip_validation_lines(tmp_path):
    run = tmp_path / "cell"
    write_scalars(run, "20250101_000000", [{"loss": 1.0, "loss_pixel": 0.9, "iter": 1, "step": 1},
                                           {"loss": 0.8, "loss_pixel": 0.7, "iter": 2, "step": 2}])
    write_scalars(run, "20250101_010000", [{"loss": 0.5, "loss_pixel": 0.4, "iter": 2, "step": 2},
                                           {"loss": 0.4, "loss_pixel": 0.3, "iter": 3},
                                           {"psnr": 20.0, "ssim": 0.7, "step": 3}])
    (run / "20250101_010000" / "vis_data" / "scalars.json").open("a").write('{"loss": 0.1, "st')  # cut short
    losses = read_losses(run)
    total = losses[losses["term"] == "loss"]
    assert total["step"].tolist() == [1, 2, 3]
    assert total["value"].tolist() == [1.0, 0.5, 0.4]  # the later start wins at step 2
    assert set(losses["term"]) == {"loss", "loss_pixel"}


def test_training_curves_png_from_collected_cells(tmp_path):
    import pandas as pd

    for cell, scale in (("a", 1.0), ("b", 2.0)):
        write_scalars(tmp_path / cell, "20250101_000000",
                      [{"loss": scale / s, "loss_pixel": scale / s, "step": s} for s in range(1, 6)])
    cells = pd.DataFrame({"cell_id": ["a", "b", "missing"], "row": ["A", "B", "C"],
                          "dataset": ["synthetic"] * 3, "seed": [0, 0, 0]})
    curves = collect_curves(tmp_path, cells)
    assert set(curves["row"]) == {"A", "B"} and len(curves) == 20
    assert_png(training_curves(curves, tmp_path / "curves.png"))
    assert training_curves(curves.iloc[:0], tmp_path / "none.png") is None
