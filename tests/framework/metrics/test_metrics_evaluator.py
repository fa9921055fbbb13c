"""PairedImageMetric: the mmengine process/evaluate path, per-image records, protocol options and registration."""
import math

import pytest
import torch
from mmengine.evaluator import Evaluator

from llie.errors import ConfigError, DataError
from llie.metrics import PairedImageMetric, get_protocol, psnr, ssim
from llie.plugin_door import ensure_plugins_loaded, provider_of
from llie.registry import METRICS, build, known_names


def make_samples(seed: int = 0) -> list[dict]:
    """Five pairs in three sizes, interleaved so that batching by size has to reorder and restore them."""
    gen = torch.Generator().manual_seed(seed)
    sizes = [(24, 32), (16, 16), (24, 32), (20, 28), (16, 16)]
    samples = []
    for i, (h, w) in enumerate(sizes):
        gt = torch.rand(3, h, w, generator=gen)
        pred = gt * (0.6 + 0.1 * i) + 0.05 * torch.randn(3, h, w, generator=gen)
        samples.append({"pred": pred, "gt": gt, "name": f"img{i}.png"})
    return samples


def one_by_one(samples, protocol):
    pairs = [(s["pred"][None], s["gt"][None]) for s in samples]
    return [(psnr(p, g, protocol).item(), ssim(p, g, protocol).item()) for p, g in pairs]


@pytest.mark.parametrize("options", [{}, {"protocol": "basicsr", "crop_border": 2, "y_channel": True},
                                     {"protocol": "retinexformer", "gt_mean": True}])
def test_process_and_compute_match_the_functional_metrics(options):
    metric = PairedImageMetric(**options)
    samples = make_samples()
    metric.process({"inputs": None}, samples[:3])
    metric.process({"inputs": None}, samples[3:])
    assert [r["name"] for r in metric.results] == [s["name"] for s in samples]  # input order kept
    want = one_by_one(samples, metric.protocol)
    assert [r["psnr"] for r in metric.results] == pytest.approx([p for p, _ in want], abs=1e-10)
    assert [r["ssim"] for r in metric.results] == pytest.approx([s for _, s in want], abs=1e-10)
    assert all(isinstance(r["psnr"], float) and isinstance(r["ssim"], float) for r in metric.results)

    summary = metric.compute_metrics(metric.results)
    assert set(summary) == {"psnr", "ssim"}
    assert summary["psnr"] == pytest.approx(sum(p for p, _ in want) / 5)
    assert summary["ssim"] == pytest.approx(sum(s for _, s in want) / 5)
    assert [r["name"] for r in metric.last_per_image] == [s["name"] for s in samples]
    assert metric.protocol == get_protocol(options.get("protocol", "retinexformer"),
                                           **{k: v for k, v in options.items() if k != "protocol"})


def test_options_change_the_scores():
    samples = make_samples(1)
    plain, with_gt_mean = PairedImageMetric(), PairedImageMetric(gt_mean=True)
    for m in (plain, with_gt_mean):
        m.process(None, samples)
    assert with_gt_mean.protocol.tag == "retinexformer+gtmean"
    assert [r["psnr"] for r in plain.results] != pytest.approx([r["psnr"] for r in with_gt_mean.results], abs=1e-3)


def test_mmengine_evaluator_runs_it_and_keeps_per_image_results():
    metric = PairedImageMetric(protocol="basicsr")
    evaluator = Evaluator(metric)
    samples = make_samples(2)
    evaluator.process(samples[:2])
    evaluator.process(samples[2:])
    summary = evaluator.evaluate(len(samples))
    assert set(summary) == {"psnr", "ssim"} and all(isinstance(v, float) for v in summary.values())
    assert len(metric.last_per_image) == 5 and metric.results == []  # mmengine clears its buffer
    assert summary["ssim"] == pytest.approx(sum(r["ssim"] for r in metric.last_per_image) / 5)


def test_prefix_is_applied_by_mmengine():
    evaluator = Evaluator(PairedImageMetric(prefix="lolv1"))
    evaluator.process(make_samples()[:1])
    assert set(evaluator.evaluate(1)) == {"lolv1/psnr", "lolv1/ssim"}


def test_nothing_evaluated_gives_nan_not_a_crash():
    metric = PairedImageMetric()
    summary = metric.compute_metrics([])
    assert math.isnan(summary["psnr"]) and math.isnan(summary["ssim"]) and metric.last_per_image == []


@pytest.mark.parametrize("sample, message", [
    ({"pred": torch.rand(3, 16, 16), "name": "a.png"}, "keys pred, gt, name"),
    ({"pred": torch.rand(3, 16, 16), "gt": torch.rand(3, 16, 18), "name": "b.png"}, "'b.png'"),
    ({"pred": [0.5], "gt": torch.rand(3, 16, 16), "name": "c.png"}, "must be tensors"),
])
def test_bad_samples_are_data_errors_naming_the_image(sample, message):
    with pytest.raises(DataError, match=message):
        PairedImageMetric().process(None, [sample])


def test_unknown_protocol_fails_at_construction():
    with pytest.raises(ConfigError, match="known protocols"):
        PairedImageMetric(protocol="matlab")


def test_registered_by_the_metrics_plugin_and_buildable_from_config():
    ensure_plugins_loaded()
    assert "PairedImageMetric" in known_names(METRICS)
    assert provider_of("metrics", "PairedImageMetric") == "metrics"
    metric = build("metrics", {"type": "PairedImageMetric", "protocol": "basicsr", "y_channel": True,
                               "crop_border": 2})
    assert isinstance(metric, PairedImageMetric)
    assert metric.protocol.tag == "basicsr+y+crop2"
    metric.process(None, make_samples()[:2])
    assert len(metric.results) == 2


def test_per_image_extras_are_copied_into_the_rows_but_never_replace_the_scores():
    metric = PairedImageMetric()
    samples = make_samples()[:2]
    samples[0]["extras"] = {"gate_s1": 0.25, "psnr": -1.0}
    metric.process({"inputs": None}, samples)
    first, second = metric.results
    assert first["gate_s1"] == 0.25 and first["psnr"] != -1.0
    assert "gate_s1" not in second
    metric.compute_metrics(metric.results)
    assert metric.last_per_image[0]["gate_s1"] == 0.25
