"""The colour error (mean CIEDE2000 ΔE): against scikit-image on real photos and on Sharma et al.'s published pairs,
batched like PSNR/SSIM, and offered by PairedImageMetric when asked (lower is better)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.color import deltaE_ciede2000, rgb2lab

from llie.data import read_image
from llie.errors import ConfigError
from llie.metrics import PairedImageMetric
from llie.metrics.color import ciede2000, delta_e, srgb_to_lab
from llie.metrics.evaluator import EXTRA_METRICS

#: (Lab 1, Lab 2, ΔE00) from Sharma, Wu & Dalal (2005), Table 1 (pairs 1, 2, 7, 17 and the hue-wrap pair 14)
SHARMA = [((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
          ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
          ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
          ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
          ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195)]


def chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].to(torch.float64)


@pytest.fixture(scope="module")
def lol_pairs(lol_sample):
    lows = sorted((lol_sample / "low").glob("*.png"))[:3]
    return [(read_image(p).astype(np.float64), read_image(lol_sample / "high" / p.name).astype(np.float64))
            for p in lows]


def test_lab_and_delta_e_match_scikit_image_on_real_photos(lol_pairs):
    for low, high in lol_pairs:
        assert np.abs(srgb_to_lab(chw(high))[0].permute(1, 2, 0).numpy() - rgb2lab(high)).max() < 1e-9
        want = deltaE_ciede2000(rgb2lab(high), rgb2lab(low)).mean()
        assert float(delta_e(chw(low), chw(high))) == pytest.approx(want, abs=1e-9)


def test_a_batch_scores_each_image_as_alone(lol_pairs):
    (low_a, high_a), (low_b, high_b) = lol_pairs[:2]
    enhanced = np.clip(low_b * 6.0, 0, 1)  # a brightened, still colour-shifted output
    batch = delta_e(torch.cat([chw(low_a), chw(enhanced)]), torch.cat([chw(high_a), chw(high_b)]))
    alone = [deltaE_ciede2000(rgb2lab(high_a), rgb2lab(low_a)).mean(),
             deltaE_ciede2000(rgb2lab(high_b), rgb2lab(enhanced)).mean()]
    assert batch.tolist() == pytest.approx(alone, abs=1e-9)


@pytest.mark.parametrize("lab1, lab2, expected", SHARMA)
def test_published_ciede2000_pairs(lab1, lab2, expected):
    as_image = lambda lab: torch.tensor(lab, dtype=torch.float64).view(1, 3, 1, 1)  # noqa: E731
    assert float(ciede2000(as_image(lab1), as_image(lab2))) == pytest.approx(expected, abs=5e-5)


def test_random_lab_values_including_neutral_and_hue_wrap_cases_match_scikit_image():
    rng = np.random.default_rng(0)
    lab1 = np.stack([rng.uniform(0, 100, 4000), rng.uniform(-100, 100, 4000), rng.uniform(-100, 100, 4000)], 1)
    lab2 = lab1 + rng.normal(0, 8, lab1.shape)
    lab1[:500, 1:] = 0.0  # neutral colours: zero chroma
    lab2[500:1000, 1] = -lab1[500:1000, 1]  # opposite hues
    got = ciede2000(torch.from_numpy(lab1.T.reshape(1, 3, 40, 100)), torch.from_numpy(lab2.T.reshape(1, 3, 40, 100)))
    assert np.abs(got.numpy().reshape(-1) - deltaE_ciede2000(lab1, lab2)).max() < 1e-9


def test_identical_images_have_zero_error_and_a_colour_shift_does_not():
    image = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert delta_e(image, image).tolist() == [0.0, 0.0]
    washed = 0.5 * image + 0.5 * image.mean(dim=1, keepdim=True)  # the same lightness, half the chroma
    assert (delta_e(washed, image) > 1.0).all()
    with pytest.raises(ValueError, match="B×3×H×W"):
        delta_e(image[:, :1], image[:, :1])


def test_paired_metric_adds_the_colour_error_only_when_asked():
    gen = torch.Generator().manual_seed(1)
    gt = torch.rand(3, 16, 16, generator=gen)
    samples = [{"pred": (gt * 0.7).clamp(0, 1), "gt": gt, "name": "a"},
               {"pred": torch.rand(3, 16, 16, generator=gen), "gt": gt, "name": "b"}]
    plain = PairedImageMetric()
    plain.process({}, samples)
    assert set(plain.compute_metrics(plain.results)) == {"psnr", "ssim"}
    metric = PairedImageMetric(extra_metrics=["delta_e"])
    metric.process({}, samples)
    means = metric.compute_metrics(metric.results)
    assert set(means) == {"psnr", "ssim", "delta_e"} and metric.metric_names == ("psnr", "ssim", "delta_e")
    want = [float(delta_e(s["pred"][None], s["gt"][None])) for s in samples]
    assert [r["delta_e"] for r in metric.last_per_image] == pytest.approx(want, abs=1e-9)
    assert means["delta_e"] == pytest.approx(sum(want) / 2)
    assert EXTRA_METRICS["delta_e"][1] is False  # lower is better


def test_gt_mean_protocol_scores_the_rescaled_output():
    gt = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(2)) * 0.5 + 0.25
    metric = PairedImageMetric(gt_mean=True, extra_metrics=["delta_e"])
    metric.process({}, [{"pred": gt[0] * 0.5, "gt": gt[0], "name": "half"}])  # only the brightness is off
    assert metric.results[0]["delta_e"] < 1e-6


def test_unknown_extra_metric_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown extra metric 'delta_f'"):
        PairedImageMetric(extra_metrics=["delta_f"])
    with pytest.raises(ConfigError, match="must be a list"):
        PairedImageMetric(extra_metrics="delta_e")
