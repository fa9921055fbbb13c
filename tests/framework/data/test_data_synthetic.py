"""Synthetic pairs from scikit-image's bundled photos: darkening model, determinism, disjoint splits."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from llie.data.synthetic import (TEST_PHOTOS, TRAIN_PHOTOS, SyntheticPairs, available_photos, darken,
                                      load_photo)
from llie.errors import ConfigError


def _photo() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.05, 1.0, (16, 16, 3)).astype(np.float32)


def test_darken_without_noise_is_gain_times_gamma():
    img = _photo()
    low = darken(img, np.random.default_rng(0), gamma_range=2.0, gain_range=0.25, shot_noise=0.0, read_noise=0.0,
                 color_cast=0.0)
    np.testing.assert_allclose(low, 0.25 * img ** 2.0, rtol=1e-5)


def test_darken_is_darker_bounded_and_deterministic():
    img = _photo()
    a = darken(img, np.random.default_rng(3))
    b = darken(img, np.random.default_rng(3))
    c = darken(img, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == img.shape and a.min() >= 0 and a.max() <= 1
    assert a.mean() < 0.5 * img.mean()


def test_noise_grows_with_signal():
    """Shot noise: variance proportional to the signal."""
    flat = np.full((64, 64, 3), 1.0, np.float32)
    bright = darken(flat, np.random.default_rng(0), gamma_range=1.0, gain_range=0.3, shot_noise=0.02,
                    read_noise=0.0, color_cast=0.0)
    dim = darken(flat, np.random.default_rng(0), gamma_range=1.0, gain_range=0.05, shot_noise=0.02,
                 read_noise=0.0, color_cast=0.0)
    assert bright.std() > 1.5 * dim.std() > 0


def test_colour_cast_changes_channels_differently():
    flat = np.full((4, 4, 3), 0.8, np.float32)
    low = darken(flat, np.random.default_rng(1), shot_noise=0.0, read_noise=0.0, color_cast=0.2)
    means = low.mean(axis=(0, 1))
    assert np.ptp(means) > 0


def test_splits_use_disjoint_bundled_photos():
    assert not set(TRAIN_PHOTOS) & set(TEST_PHOTOS)
    assert set(TRAIN_PHOTOS) | set(TEST_PHOTOS) <= set(available_photos())
    camera = load_photo("camera", 32)  # a grayscale photo, replicated
    assert camera.shape == (32, 32, 3) and np.array_equal(camera[..., 0], camera[..., 2])


def test_items_have_the_paired_format_and_low_is_darker():
    ds = SyntheticPairs("test", image_size=32, variants_per_image=2)
    assert len(ds) == 2 * len(TEST_PHOTOS)
    names = [ds[i]["data_samples"]["name"] for i in range(len(ds))]
    assert names[:2] == [f"{TEST_PHOTOS[0]}_v0", f"{TEST_PHOTOS[0]}_v1"]
    for i in range(len(ds)):
        item = ds[i]
        low, gt = item["inputs"], item["data_samples"]["gt"]
        assert low.shape == gt.shape == (3, 32, 32) and low.dtype == torch.float32
        assert 0 <= float(low.min()) and float(gt.max()) <= 1
        assert float(low.mean()) < float(gt.mean())
        assert item["data_samples"]["high_path"].startswith("skimage.data:")


def test_test_split_ignores_the_training_seed_and_train_split_follows_it():
    small = dict(image_size=16, variants_per_image=2, photos=["astronaut", "coffee"])
    t0, t9 = SyntheticPairs("test", seed=0, **small), SyntheticPairs("test", seed=9, **small)
    assert all(torch.equal(t0[i]["inputs"], t9[i]["inputs"]) for i in range(len(t0)))
    r0, r0b, r9 = (SyntheticPairs("train", seed=s, **small) for s in (0, 0, 9))
    assert all(torch.equal(r0[i]["inputs"], r0b[i]["inputs"]) for i in range(len(r0)))
    assert not all(torch.equal(r0[i]["inputs"], r9[i]["inputs"]) for i in range(len(r0)))
    assert torch.equal(r0[0]["data_samples"]["gt"], r9[0]["data_samples"]["gt"])  # same photo, other darkening


def test_variants_differ_and_crop_augment_work():
    ds = SyntheticPairs("train", image_size=32, variants_per_image=2, photos=["chelsea"], crop_size=16, augment=True)
    ds_plain = SyntheticPairs("train", image_size=32, variants_per_image=2, photos=["chelsea"])
    assert not torch.equal(ds_plain[0]["inputs"], ds_plain[1]["inputs"])
    assert torch.equal(ds_plain[0]["data_samples"]["gt"], ds_plain[1]["data_samples"]["gt"])
    item = ds[0]
    assert item["inputs"].shape == (3, 16, 16) == item["data_samples"]["gt"].shape


def test_unknown_photo_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown photo 'astronot'.*astronaut"):
        SyntheticPairs("train", photos=["astronot"])
    with pytest.raises(ConfigError, match="split"):
        SyntheticPairs("val")


# ---- a folder of clean photos as the source -----------------------------------------------------------------------
def _photo_folder(tmp_path, count=7):
    from PIL import Image

    rng = np.random.default_rng(3)
    for i in range(count):
        sub = tmp_path / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (40 + i, 60, 3), dtype=np.uint8)).save(sub / f"img{i}.png")
    return tmp_path


def test_folder_source_splits_every_nth_photo_for_test_and_keeps_them_disjoint(tmp_path):
    folder = _photo_folder(tmp_path)
    train = SyntheticPairs("train", image_size=32, variants_per_image=2, source=str(folder), test_every=3)
    test = SyntheticPairs("test", image_size=32, variants_per_image=1, source=str(folder), test_every=3)
    ordered = ["a/img1", "a/img3", "a/img5", "b/img0", "b/img2", "b/img4", "b/img6"]  # natural order of paths
    assert list(test.photos) == ordered[::3]
    assert list(train.photos) == [p for i, p in enumerate(ordered) if i % 3]
    assert len(train) == 2 * len(train.photos)
    item = train[0]
    assert item["inputs"].shape == item["data_samples"]["gt"].shape == (3, 32, 32)
    assert item["inputs"].mean() < item["data_samples"]["gt"].mean()


def test_folder_source_darkening_is_deterministic_per_photo_and_variant(tmp_path):
    folder = _photo_folder(tmp_path)
    first = SyntheticPairs("train", image_size=32, source=str(folder), seed=4)
    again = SyntheticPairs("train", image_size=32, source=str(folder), seed=4)
    other = SyntheticPairs("train", image_size=32, source=str(folder), seed=5)
    assert torch.equal(first[1]["inputs"], again[1]["inputs"])
    assert not torch.equal(first[1]["inputs"], other[1]["inputs"])
    assert torch.equal(first[1]["data_samples"]["gt"], other[1]["data_samples"]["gt"])


def test_folder_source_errors_name_the_folder(tmp_path):
    from llie.errors import DataError

    with pytest.raises(DataError, match="does not exist"):
        SyntheticPairs("train", source=str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no images under"):
        SyntheticPairs("train", source=str(tmp_path / "empty"))


def test_sample_prefix_follows_llie_sample_data(tmp_path, monkeypatch):
    from llie.errors import DataError

    _photo_folder(tmp_path / "clean")
    monkeypatch.setenv("LLIE_SAMPLE_DATA", str(tmp_path))
    data = SyntheticPairs("test", image_size=16, source="sample:clean", variants_per_image=1)
    assert data.metainfo["root"] == str(tmp_path / "clean")
    monkeypatch.setenv("LLIE_SAMPLE_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr("llie.paths._beside_checkout", lambda name: [])
    with pytest.raises(DataError, match=r"SyntheticPairs.source.*LLIE_SAMPLE_DATA"):
        SyntheticPairs("test", source="sample:clean")
