"""UnpairedFolder: a folder of images without ground truth, read like paired data, failing (or skipping) by path."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from llie.data import UnpairedFolder, read_image, write_image
from llie.errors import ConfigError, DataError
from llie.paths import sample_data_dir


def write_images(folder, names):
    rng = np.random.default_rng(0)
    for name in names:
        write_image(folder / name, rng.random((20, 28, 3)).astype(np.float32) * 0.2)
    return folder


def break_file(path, kind):
    data = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": data[: len(data) // 2], "garbage": b"not an image\n" * 20}[kind])


@pytest.fixture
def folder(tmp_path):
    return write_images(tmp_path / "set", ["img10.png", "img2.png", "a.jpg"])


def test_items_are_whole_images_without_ground_truth_in_natural_order(folder):
    (folder / "notes.txt").write_text("not an image")
    (folder / "night").write_bytes(b"")  # no image suffix: ignored, as a stray file in NPE is
    (folder / ".hidden.png").write_bytes(b"")
    ds = UnpairedFolder(root=folder)
    assert [p.name for p in ds.files] == ["a.jpg", "img2.png", "img10.png"] and len(ds) == 3
    item = ds[1]
    assert set(item) == {"inputs", "data_samples"} and "gt" not in item["data_samples"]
    assert item["data_samples"]["name"] == "img2" and item["data_samples"]["low_path"] == str(folder / "img2.png")
    expected = torch.from_numpy(read_image(folder / "img2.png")).permute(2, 0, 1)
    assert item["inputs"].dtype == torch.float32 and torch.equal(item["inputs"], expected)
    assert item["data_samples"]["crop_box"].tolist() == [0, 0, 20, 28]
    assert ds.metainfo == {"dataset": "UnpairedFolder", "root": str(folder), "num_images": 3}


def test_images_of_different_sizes_are_kept_as_they_are(tmp_path):
    write_image(tmp_path / "big.png", np.zeros((40, 50, 3), np.float32))
    write_image(tmp_path / "small.png", np.zeros((10, 12, 3), np.float32))
    ds = UnpairedFolder(root=tmp_path)
    assert [tuple(ds[i]["inputs"].shape) for i in range(2)] == [(3, 40, 50), (3, 10, 12)]


def test_max_images_keeps_the_first(folder):
    assert [p.name for p in UnpairedFolder(root=folder, max_images=2).files] == ["a.jpg", "img2.png"]
    with pytest.raises(ConfigError, match="max_images must be a positive integer"):
        UnpairedFolder(root=folder, max_images=0)


def test_missing_root_names_the_path(tmp_path):
    with pytest.raises(DataError, match=f"UnpairedFolder: dataset root {tmp_path / 'nope'} does not exist"):
        UnpairedFolder(root=tmp_path / "nope")
    with pytest.raises(ConfigError, match="'root' is not set"):
        UnpairedFolder()


def test_empty_folder_names_the_path(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match=f"UnpairedFolder: no image files in {tmp_path} "):
        UnpairedFolder(root=tmp_path)


def test_same_name_twice_is_refused(folder):
    write_image(folder / "IMG2.jpg", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(DataError, match="share the name"):
        UnpairedFolder(root=folder)


@pytest.mark.parametrize("kind", ["empty", "truncated", "garbage"])
def test_unreadable_image_fails_naming_the_file(folder, kind):
    break_file(folder / "img2.png", kind)
    ds = UnpairedFolder(root=folder)
    with pytest.raises(DataError, match=str(folder / "img2.png")):
        ds[1]
    with pytest.raises(DataError, match=str(folder / "img2.png")):
        ds.drop_bad_images()  # without skip_bad_images: the same failure, before any work


def test_skip_bad_images_leaves_them_out_logged(folder, caplog):
    break_file(folder / "img2.png", "truncated")
    ds = UnpairedFolder(root=folder, skip_bad_images=True)
    with caplog.at_level(logging.WARNING):
        assert ds.drop_bad_images() == [folder / "img2.png"]
    assert [p.name for p in ds.files] == ["a.jpg", "img10.png"] and ds.dropped_images == [folder / "img2.png"]
    assert str(folder / "img2.png") in caplog.text
    for name in ("a.jpg", "img10.png"):
        break_file(folder / name, "empty")
    with pytest.raises(DataError, match="none of the 3 images"):
        UnpairedFolder(root=folder, skip_bad_images=True).drop_bad_images()


def test_full_low_images_lists_each_image_once(folder):
    keys = [key for key, _ in UnpairedFolder(root=folder).full_low_images()]
    assert keys == [str(folder / n) for n in ("a.jpg", "img2.png", "img10.png")]


def test_reads_the_shared_unpaired_sets():
    data_dir = sample_data_dir()
    if data_dir is None or not (data_dir / "unpaired" / "NPE").is_dir():
        pytest.skip("shared sample data (unpaired/NPE) not present beside the repository")
    ds = UnpairedFolder(root=data_dir / "unpaired" / "NPE")
    assert len(ds) == 8 and "night" not in [p.name for p in ds.files]  # an empty file without suffix is ignored
    assert ds[0]["inputs"].shape[0] == 3
