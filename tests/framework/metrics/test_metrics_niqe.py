"""NIQE against BasicSR 1.4.2's ``calculate_niqe`` (which reproduces MATLAB R2021a), and the properties of its parts.

Reference values: BasicSR 1.4.2 from its PyPI source distribution, run outside the repository (NumPy 2.4.6, SciPy
1.17.1, torch 2.14.1) on the same 8-bit pixels, BGR, ``crop_border=0``, ``convert_to='y'`` (gray photos as ``HW``).
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
import torch

from llie.data.io import read_image
from llie.errors import DataError, RegistryError
from llie.metrics import NIQE, build_no_reference_metric, compute_niqe, no_reference_metrics
from llie.metrics.niqe import PARAMS_FILE, filter_nearest, luma_levels, pristine_model
from llie.paths import sample_data_dir

#: |ours − BasicSR| allowed; the images below were chosen because their score is stable under float32 rounding
#: changes (a float64 resize or float64 statistics move them by < 6e-5), so this holds on any BLAS
PARITY = 1e-4

#: scikit-image's bundled photos and images made from them or from a seed: no files needed
BASICSR_SYNTHETIC = {
    "astronaut": 3.06460685312984,
    "coffee": 4.115241611108773,
    "chelsea": 2.6255364132341055,
    "coffee_dark": 7.419580337346113,  # round(coffee · 0.12): a low-light image with crushed blacks
    "random": 32.21101280778038,  # default_rng(0).integers(0, 256, (192, 288, 3)), uint8
    "camera_gray": 3.0963768579403177,  # one channel: NIQE of the gray levels themselves
}

#: real low-light benchmark photos under ../shared/data (PNG: decoding cannot differ between libraries)
BASICSR_SHARED = {
    "unpaired/MEF/Balloons.png": 6.044804619251516,
    "unpaired/MEF/House.png": 4.047624892048043,
    "unpaired/NPE/birds.png": 2.9891207294925812,
    "unpaired/NPE/Parking.png": 4.659368977276599,
    "lol_sample/low/1.png": 6.427273327642633,
    "lol_sample/low/79.png": 7.29500983904521,
}

PARAMS_SHA256 = "2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296"


def synthetic_uint8(name: str) -> np.ndarray:
    from skimage import data

    if name == "coffee_dark":
        return np.round(data.coffee().astype(np.float64) * 0.12).astype(np.uint8)
    if name == "random":
        return np.random.default_rng(0).integers(0, 256, size=(192, 288, 3), dtype=np.uint8)
    if name == "camera_gray":
        return data.camera()
    return getattr(data, name)()


def as_tensor(u8: np.ndarray) -> torch.Tensor:
    """``C×H×W`` float32 in [0, 1] from an ``H×W×3`` or ``H×W`` uint8 array."""
    unit = torch.from_numpy(u8.astype(np.float32) / 255)
    return unit[None] if unit.dim() == 2 else unit.permute(2, 0, 1)


@pytest.mark.parametrize("name", sorted(BASICSR_SYNTHETIC))
def test_niqe_matches_basicsr_on_images_made_without_files(name):
    assert float(compute_niqe(as_tensor(synthetic_uint8(name)))[0]) == pytest.approx(BASICSR_SYNTHETIC[name],
                                                                                      abs=PARITY)


@pytest.mark.parametrize("relative", sorted(BASICSR_SHARED))
def test_niqe_matches_basicsr_on_real_low_light_photos(relative):
    root = sample_data_dir()
    if root is None or not (root / relative).is_file():
        pytest.skip(f"shared sample data ({relative}) not present beside the repository")
    image = torch.from_numpy(read_image(root / relative)).permute(2, 0, 1)
    assert float(compute_niqe(image)[0]) == pytest.approx(BASICSR_SHARED[relative], abs=PARITY)


def test_pristine_parameters_are_the_basicsr_file():
    assert hashlib.sha256(PARAMS_FILE.read_bytes()).hexdigest() == PARAMS_SHA256
    model = pristine_model()
    assert model.mean.shape == (36,) and model.covariance.shape == (36, 36) and model.window.shape == (7, 7)
    assert torch.allclose(model.covariance, model.covariance.T)


def test_mscn_window_is_matlab_fspecial_gaussian_7_sigma_7_over_6():
    taps = np.exp(-((np.arange(7) - 3) ** 2) / (2 * (7 / 6) ** 2))
    window = np.outer(taps, taps) / np.outer(taps, taps).sum()
    np.testing.assert_allclose(pristine_model().window.numpy(), window, rtol=0, atol=1e-15)


def test_filter_replicates_borders_like_scipy_convolve_nearest():
    from scipy.ndimage import convolve

    plane = torch.from_numpy(np.random.default_rng(1).random((23, 31)) * 255)
    window = torch.from_numpy(np.random.default_rng(2).random((7, 7)))  # asymmetric: a flipped kernel would show
    expected = convolve(plane.numpy(), window.numpy(), mode="nearest")
    (ours,) = filter_nearest([plane], window)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-13, atol=0)


def test_luma_is_matlab_rgb2ycbcr_y_on_8_bit_levels_rounded():
    colours = torch.tensor([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [37, 201, 90]],
                           dtype=torch.float32)
    image = (colours / 255).T.reshape(3, 1, -1)
    expected = np.round(16 + (65.481 * colours[:, 0] + 128.553 * colours[:, 1] + 24.966 * colours[:, 2]).numpy()
                        / 255)
    assert luma_levels(image)[0].tolist() == expected.tolist() == [16, 235, 81, 145, 41, 136]


def test_gray_image_is_scored_on_its_levels_not_on_a_luma():
    gray = as_tensor(synthetic_uint8("camera_gray"))
    assert float(compute_niqe(gray)[0]) != pytest.approx(float(compute_niqe(gray.expand(3, -1, -1))[0]), abs=1e-3)


def test_batch_scores_each_image_as_alone():
    a, b = as_tensor(synthetic_uint8("coffee")), as_tensor(synthetic_uint8("coffee_dark"))
    batch = compute_niqe(torch.stack([a, b]))
    assert batch.dtype == torch.float64 and batch.tolist() == [float(compute_niqe(a)[0]), float(compute_niqe(b)[0])]


def test_crop_border_drops_pixels_from_every_side():
    image = as_tensor(synthetic_uint8("chelsea"))
    assert float(compute_niqe(image, crop_border=8)[0]) == float(compute_niqe(image[:, 8:-8, 8:-8])[0])


@pytest.mark.parametrize("height, width", [(95, 400), (191, 191)])
def test_images_of_fewer_than_two_blocks_are_refused(height, width):
    with pytest.raises(ValueError, match=f"at least two 96×96 blocks .*, got {height}×{width}"):
        compute_niqe(torch.rand(3, height, width))
    assert math.isfinite(float(compute_niqe(torch.rand(3, 96, 192))[0]))


def test_uniform_image_has_no_score():
    assert math.isnan(float(compute_niqe(torch.full((3, 192, 192), 0.4))[0]))


def test_metric_scores_predictions_without_ground_truth():
    metric = NIQE()
    images = [as_tensor(synthetic_uint8("coffee")), as_tensor(synthetic_uint8("chelsea"))]
    metric.process(None, [{"pred": img, "name": n} for img, n in zip(images, ("coffee", "chelsea"))])
    result = metric.compute_metrics(metric.results)
    expected = [BASICSR_SYNTHETIC["coffee"], BASICSR_SYNTHETIC["chelsea"]]
    assert result["niqe"] == pytest.approx(sum(expected) / 2, abs=PARITY)
    assert [r["name"] for r in metric.last_per_image] == ["coffee", "chelsea"]
    assert [r["niqe"] for r in metric.last_per_image] == pytest.approx(expected, abs=PARITY)


def test_metric_names_the_image_it_cannot_score():
    metric = NIQE()
    with pytest.raises(DataError, match="image 'tiny'.*at least two 96×96 blocks"):
        metric.process(None, [{"pred": torch.rand(3, 40, 40), "name": "tiny"}])
    with pytest.raises(DataError, match="keys pred, name"):
        metric.process(None, [{"gt": torch.rand(3, 96, 96)}])


def test_niqe_is_lower_is_better_and_found_by_name_through_the_registry():
    assert NIQE.higher_is_better is False and NIQE.name == "niqe"
    assert no_reference_metrics()["niqe"] is NIQE
    assert isinstance(build_no_reference_metric("niqe"), NIQE)
    assert isinstance(build_no_reference_metric("NIQE"), NIQE)  # its registry key works too
    with pytest.raises(RegistryError, match="unknown no-reference metric 'niq'.*did you mean 'niqe'"):
        build_no_reference_metric("niq")
