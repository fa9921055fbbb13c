"""Every ``llie bench`` subcommand runs on a tiny config and prints its table (and JSON when asked)."""
from __future__ import annotations

import json
import sys
import types

import pytest

from llie.cli.main import main

TINY_YAML = """
experiment: {name: tiny_unet, method: TinyUNet}
model:
  type: SemanticPriorModel
  enhancer: {type: UNet, base_channels: 4, depth: 1}
  losses: [{type: PixelLoss, kind: charbonnier}]
data:
  batch_size: 2
  num_workers: 0
  train: {type: SyntheticPairs, split: train, image_size: 32, variants_per_image: 1, crop_size: 16, augment: true,
          photos: [astronaut, chelsea]}
  val: {type: SyntheticPairs, split: test, image_size: 32, variants_per_image: 1, photos: [coffee]}
train:
  max_iters: 2
  optimizer: {type: AdamW, lr: 0.001}
"""


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps headers at 80 columns otherwise
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML)
    return path


def test_bench_model_table_and_json(tiny, tmp_path, capsys):
    out_json = tmp_path / "model.json"
    assert main(["bench", "model", str(tiny), str(tiny), "--size", "40x24", "--runs", "2", "--warmup", "1",
                 "--in-process", "--set", "model.enhancer.base_channels=8", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    for column in ("params (M)", "trainable (M)", "frozen prior (M)", "GFLOPs", "latency (s)", "IQR (s)",
                   "peak RSS (MiB)", "Δ RSS (MiB)", "40x24 input"):
        assert column in out
    rows = json.loads(out_json.read_text())
    assert len(rows) == 2 and rows[0]["params"] > 2631  # --set widened the tiny U-Net (2631 params at width 4)


def test_bench_model_baseline_ratio_column(tiny, tmp_path, capsys):
    wide = tmp_path / "wide.yaml"
    wide.write_text(TINY_YAML.replace("method: TinyUNet", "method: WideUNet").replace("base_channels: 4",
                                                                                   "base_channels: 16"))
    out_json = tmp_path / "model.json"
    assert main(["bench", "model", str(tiny), str(wide), "--size", "40x24", "--runs", "2", "--warmup", "0",
                 "--in-process", "--baseline", "tinyunet", "--memory-format", "contiguous",
                 "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "× TinyUNet (CPU)" in out and "CPU (s)" in out
    tiny_row, wide_row = json.loads(out_json.read_text())
    assert tiny_row["cpu_ratio"] == 1.0 and wide_row["baseline"] == "TinyUNet" and wide_row["cpu_ratio"] > 0
    assert tiny_row["memory_format"] == "contiguous"
    assert main(["bench", "model", str(tiny), "--baseline", "retinexformer"]) == 2  # refused before measuring
    assert "names none of the configs" in capsys.readouterr().err


def test_bench_model_missing_config_is_one_line(tmp_path, capsys):
    assert main(["bench", "model", str(tmp_path / "nope.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_bench_train_step_prints_the_overhead_ratio(tiny, tmp_path, capsys):
    out_json = tmp_path / "step.json"
    assert main(["bench", "train-step", str(tiny), "--runs", "3", "--warmup", "1", "--batch", "3", "--crop", "16",
                 "--json", str(out_json)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # titles and captions wrap at the table's width
    for text in ("mmengine Runner iteration (hooks included)", "model.train_step (no hooks)", "bare torch loop",
                 "median (ms)", "× bare", "overhead ratio", "batch 3", "crop 16×16"):
        assert text in out
    payload = json.loads(out_json.read_text())
    assert payload["overhead_ratio"] > 0 and payload["runner_runs"] == 3


def test_bench_eval_synthetic_agrees_within_1e4(tiny, tmp_path, capsys):
    out_json = tmp_path / "eval.json"
    assert main(["bench", "eval", "--synthetic", "3", "--size", "48x32", "--runs", "1", "--protocol", "basicsr",
                 "--json", str(out_json)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for text in ("llie.metrics (vectorised torch)", "scikit-image loop", "speed ratio", "max |Δ| PSNR"):
        assert text in out
    payload = json.loads(out_json.read_text())
    assert payload["n_images"] == 3 and payload["protocol"] == "basicsr"
    assert payload["max_abs_diff_psnr"] <= 1e-4 and payload["max_abs_diff_ssim"] <= 1e-4


def test_bench_eval_needs_a_source(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "eval"])


def test_bench_data_compares_loader_and_model(tiny, capsys):
    assert main(["bench", "data", str(tiny), "--workers", "0", "--iters", "3", "--step-runs", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for text in ("data loader (decode + crop + augment + collate)", "model training step", "images/s",
                 "0 workers, batch 2"):
        assert text in out
    assert "no workers: loading runs in series with the model" in out


def test_bench_prior_cache_calls_the_cache_benchmark(monkeypatch, capsys):
    calls = {}
    fake = types.ModuleType("llie.cache.bench")

    def compare(cfg=None, cells=4, iters=40, work_dir=None):
        calls.update(cfg=cfg, cells=cells, iters=iters)
        return {"ratio": 3.0}

    fake.compare = compare
    fake.format_table = lambda result: f"cache table ratio {result['ratio']}"
    import llie.cache as cache_pkg

    monkeypatch.setitem(sys.modules, "llie.cache.bench", fake)
    monkeypatch.setattr(cache_pkg, "bench", fake, raising=False)
    assert main(["bench", "prior-cache", "--cells", "2", "--iters", "5"]) == 0
    assert calls == {"cfg": None, "cells": 2, "iters": 5}
    assert "cache table ratio 3.0" in capsys.readouterr().out


def test_bench_prior_cache_missing_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "llie.cache", None)  # import of the package fails
    assert main(["bench", "prior-cache"]) == 2
    assert "prior-feature cache (llie.cache.bench) is not available" in capsys.readouterr().err


def test_bench_cli_compares_help_with_the_torch_import(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    out_json = tmp_path / "cli.json"
    assert main(["bench", "cli", "--runs", "1", "--warmup", "0", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "llie --help" in out and "import torch" in out and "ratio llie --help / import torch" in out
    figures = json.loads(out_json.read_text())
    assert figures["ratio"] == pytest.approx(figures["llie_help"]["median_s"] / figures["import_torch"]["median_s"])
    assert figures["meets_goal"], f"llie --help takes {figures['ratio']:.2f} of an import of torch (goal ≤ 0.5)"
