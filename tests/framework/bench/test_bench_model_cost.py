"""Parameter and FLOP counting, and the per-config measurement (in this process and in a fresh one)."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from llie.bench import model_worker
from llie.bench.model_cost import (RESULT_MARKER, add_ratios, bench_models, count_flops, count_params,
                                   load_bench_config, parse_size, run_workers)
from llie.errors import ConfigError
from llie.interfaces import ImagePrior, PriorFeatures
from llie.registry import build

TINY_YAML = """
experiment: {name: tiny_unet, method: TinyUNet}
model:
  type: SemanticPriorModel
  enhancer: {type: UNet, base_channels: 4, depth: 1}
  losses: [{type: PixelLoss}]
data:
  train: {type: SyntheticPairs, split: train, image_size: 32, variants_per_image: 1}
  val: {type: SyntheticPairs, split: test, image_size: 32, variants_per_image: 1}
train: {max_iters: 1}
"""


class FrozenPrior(ImagePrior):
    strides, channels = (2,), (4,)

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)  # 112 parameters
        self.freeze()

    def forward(self, x):
        return PriorFeatures([(2, self.conv(x))])


def test_params_split_into_trainable_and_frozen_prior():
    model = build("models", {"type": "SemanticPriorModel", "image_prior": {"type": FrozenPrior},
                             "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}})
    counts = count_params(model)
    enhancer = sum(p.numel() for p in model.enhancer.parameters())
    assert counts.frozen_prior == 112
    assert counts.trainable == enhancer
    assert counts.total == enhancer + 112


def test_flops_of_a_convolution_are_two_per_multiply_add():
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_flops(conv, torch.rand(1, 3, 10, 12)) == 2 * 8 * 3 * 9 * 10 * 12


def test_size_is_width_by_height():
    assert parse_size("600x400") == (400, 600)
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        parse_size("600")


def test_in_process_measurement_reports_every_column(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML)
    (row,) = bench_models([str(path)], size=(24, 40), runs=2, warmup=1, in_process=True)
    assert row["method"] == "TinyUNet" and row["size"] == "40x24"
    assert row["params"] == row["trainable_params"] > 0 and row["frozen_prior_params"] == 0
    assert row["gflops"] > 0 and row["latency_median_s"] > 0 and row["peak_rss_mib"] > 0


def test_fresh_processes_interleave_and_a_bad_config_becomes_an_error_row(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML)
    good = dict(config=str(path), size=[24, 40], warmup=0, threads=1)
    bad = {**good, "overrides": ["model.enhancer.depthh=2"]}
    rows = run_workers([good, bad, good], runs=2)
    assert "error" not in rows[0] and "error" not in rows[2], rows
    assert rows[0]["runs"] == 2 and rows[0]["rss_delta_mib"] >= 0 and rows[0]["threads"] == 1
    assert "depthh" in rows[1]["error"]


def test_worker_protocol(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML)
    spec = dict(config=str(path), size=[24, 40], warmup=0)
    assert model_worker.main([json.dumps(spec)], commands=["time", "time", "done"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "READY" and lines[1].startswith("TIME ") and lines[2].startswith("TIME ")
    row = json.loads(lines[3][len(RESULT_MARKER):])
    assert row["runs"] == 2 and row["gflops"] > 0
    bad = {**spec, "overrides": ["model.enhancer.depthh=2"]}
    assert model_worker.main([json.dumps(bad)], commands=[]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "depthh" in json.loads(line[len(RESULT_MARKER):])["error"]


def test_random_init_nulls_every_pretrained_path(tmp_path):
    path = tmp_path / "with_weights.yaml"
    path.write_text(TINY_YAML.replace("  losses:", "  image_prior: {type: HRNetPrior, variant: tiny, pretrained: /no/w.pth}\n"
                                      "  text_prior: {type: CLIPTextPrior, pretrained: /no/c.pt}\n  losses:"))
    assert load_bench_config(str(path)).model.image_prior.pretrained == "/no/w.pth"
    cfg = load_bench_config(str(path), random_init=True)
    assert cfg.model.image_prior.pretrained is None and cfg.model.text_prior.pretrained is None
    assert cfg.model.enhancer.depth == 1  # nothing else changes


def _timed_row(method, config, cpu, wall):
    return {"method": method, "config": config, "cpu_samples_s": cpu, "latency_samples_s": wall}


def test_ratios_pair_the_interleaved_rounds():
    """Round r of every config ran under the same load: a slow round slows both and cancels in the ratio."""
    rows = [_timed_row("DeepSPG", "exp/deepspg.yaml", [4.0, 8.0, 4.4], [5.0, 10.0, 6.0]),
            _timed_row("Retinexformer", "exp/retinexformer.yaml", [5.0, 10.0, 4.0], [5.0, 10.0, 5.0]),
            {"config": "broken.yaml", "error": "boom"}]
    base = add_ratios(rows, "retinexformer")  # the config's stem, any case
    assert base is rows[1] and rows[1]["cpu_ratio"] == 1.0
    assert rows[0]["cpu_ratio"] == pytest.approx(0.8)  # median of 0.8, 0.8, 1.1 (ratio of medians: 4.4/5 = 0.88)
    assert (rows[0]["cpu_ratio_min"], rows[0]["cpu_ratio_max"]) == (pytest.approx(0.8), pytest.approx(1.1))
    assert rows[0]["latency_ratio"] == pytest.approx(1.0) and rows[0]["baseline"] == "Retinexformer"
    assert "cpu_ratio" not in rows[2]
    assert add_ratios(rows, "DeepSPG") is rows[0]  # or its method name
    with pytest.raises(ConfigError, match="Retinexformer"):
        add_ratios(rows, "unet")
