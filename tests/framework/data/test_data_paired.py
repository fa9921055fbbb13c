"""PairedImageDataset and PairedFolder: item format, pairing, errors naming both paths, options, reproducibility."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from llie.data import PairedFolder, PairedImageDataset, write_image
from llie.data.fixtures import write_layout
from llie.errors import ConfigError, DataError


def _png(path, h=24, w=32, value=None, seed=0):
    img = np.random.default_rng(seed).random((h, w, 3)) if value is None else np.full((h, w, 3), value)
    write_image(path, img)
    return path


@pytest.fixture
def folder(tmp_path):
    return write_layout("paired_folder", tmp_path / "pf")


def test_item_format_shapes_and_ranges(folder):
    ds = PairedFolder(root=folder)
    assert len(ds) == 3
    item = ds[0]
    assert set(item) == {"inputs", "data_samples"}
    low, sample = item["inputs"], item["data_samples"]
    assert set(sample) == {"gt", "name", "low_path", "high_path", "source_key", "source_size", "crop_box", "flip_h",
                           "flip_v", "rot90_k"}
    for t in (low, sample["gt"]):
        assert t.dtype == torch.float32 and t.shape == (3, 24, 32) and t.is_contiguous()
        assert 0.0 <= float(t.min()) and float(t.max()) <= 1.0
    assert sample["name"] == "1"
    assert sample["low_path"].endswith("low/1.png") and sample["high_path"].endswith("high/1.png")
    assert float(low.mean()) < float(sample["gt"].mean())


def test_explicit_pair_list_and_names(tmp_path):
    a, b = _png(tmp_path / "x" / "a.png", seed=1), _png(tmp_path / "y" / "b.png", seed=2)
    ds = PairedImageDataset([(a, b), (b, a, "swapped")])
    assert ds[0]["data_samples"]["name"] == "a" and ds[1]["data_samples"]["name"] == "swapped"
    assert torch.equal(ds[0]["inputs"], ds[1]["data_samples"]["gt"])
    assert ds[-1]["data_samples"]["name"] == "swapped"
    with pytest.raises(IndexError):
        ds[2]


def test_pairing_by_stem_is_case_insensitive_and_ignores_suffix(tmp_path):
    for i, stem in enumerate(["b", "a", "c"]):
        _png(tmp_path / "low" / f"{stem.upper()}.PNG", value=0.1 * (i + 1))
        _png(tmp_path / "high" / f"{stem}.jpg", value=0.1 * (i + 1) + 0.5)
    (tmp_path / "low" / "notes.txt").write_text("not an image")
    ds = PairedFolder(low_dir=tmp_path / "low", high_dir=tmp_path / "high")
    assert [ds[i]["data_samples"]["name"] for i in range(len(ds))] == ["A", "B", "C"]
    for i in range(len(ds)):
        item = ds[i]
        gap = float(item["data_samples"]["gt"].mean() - item["inputs"].mean())
        assert abs(gap - 0.5) < 0.02  # each low met its own partner, not another file


def test_relative_dirs_under_root(tmp_path):
    _png(tmp_path / "input" / "1.png")
    _png(tmp_path / "target" / "1.png")
    ds = PairedFolder(root=tmp_path, low_dir="input", high_dir="target")
    assert ds.low_dir == tmp_path / "input" and len(ds) == 1


@pytest.mark.parametrize("extra_side, other_side", [("low", "high"), ("high", "low")])
def test_missing_partner_names_file_and_expected_folder(folder, extra_side, other_side):
    orphan = _png(folder / extra_side / "9.png")
    with pytest.raises(DataError) as info:
        PairedFolder(root=folder)
    message = str(info.value)
    assert str(orphan) in message and str(folder / other_side) in message and "\n" not in message


def test_orphans_are_skipped_with_a_warning_when_asked(folder, caplog):
    orphan = _png(folder / "low" / "9.png")
    with caplog.at_level(logging.WARNING):
        ds = PairedFolder(root=folder, skip_bad_pairs=True)
    assert len(ds) == 3
    assert str(orphan) in caplog.text


def test_duplicate_stems_in_one_folder_fail(folder):
    _png(folder / "low" / "1.jpg")
    with pytest.raises(DataError, match="share the pairing key '1'"):
        PairedFolder(root=folder)


def test_size_mismatch_names_both_paths_and_sizes(tmp_path):
    low = _png(tmp_path / "low" / "a.png", h=24, w=32)
    high = _png(tmp_path / "high" / "a.png", h=20, w=32)
    for options in ({}, {"resize": (16, 8)}):  # a resize must not hide the mismatch
        ds = PairedFolder(root=tmp_path, **options)
        with pytest.raises(DataError) as info:
            ds[0]
        message = str(info.value)
        assert str(low) in message and str(high) in message and "32×24" in message and "32×20" in message


def test_bad_pairs_fall_through_to_the_next_valid_index(tmp_path, caplog):
    _png(tmp_path / "low" / "1.png", value=0.1)
    _png(tmp_path / "high" / "1.png", value=0.6)
    bad_low = _png(tmp_path / "low" / "2.png")
    bad_high = tmp_path / "high" / "2.png"
    bad_high.write_bytes(b"")  # unreadable partner
    _png(tmp_path / "low" / "3.png", value=0.2)
    _png(tmp_path / "high" / "3.png", value=0.7)
    with pytest.raises(DataError, match="empty"):
        PairedFolder(root=tmp_path)[1]
    ds = PairedFolder(root=tmp_path, skip_bad_pairs=True)
    with caplog.at_level(logging.WARNING):
        item = ds[1]
    assert item["data_samples"]["name"] == "3"
    assert str(bad_low) in caplog.text and str(bad_high) in caplog.text
    assert ds[1]["data_samples"]["name"] == "3"  # remembered as bad: not retried


def test_drop_bad_pairs_removes_them_instead_of_substituting_a_neighbour(tmp_path, caplog):
    for i, bad in ((1, False), (2, True), (3, False)):
        _png(tmp_path / "low" / f"{i}.png", value=0.1)
        high = _png(tmp_path / "high" / f"{i}.png", value=0.6)
        if bad:
            high.write_bytes(high.read_bytes()[:40])  # truncated
    ds = PairedFolder(root=tmp_path, skip_bad_pairs=True)
    with caplog.at_level(logging.WARNING):
        dropped = ds.drop_bad_pairs()
    assert [p.name for p in dropped] == ["2"] and ds.dropped_pairs == dropped
    assert len(ds) == 2 and [ds[i]["data_samples"]["name"] for i in range(2)] == ["1", "3"]
    assert str(tmp_path / "high" / "2.png") in caplog.text


def test_all_bad_pairs_fail_with_one_message(tmp_path):
    _png(tmp_path / "low" / "1.png")
    (tmp_path / "high").mkdir()
    (tmp_path / "high" / "1.png").write_bytes(b"")
    with pytest.raises(DataError, match="none of the 1 pairs"):
        PairedFolder(root=tmp_path, skip_bad_pairs=True)[0]


def test_missing_file_in_explicit_list_is_caught_at_construction(tmp_path):
    a = _png(tmp_path / "a.png")
    with pytest.raises(DataError) as info:
        PairedImageDataset([(a, tmp_path / "gone.png")])
    assert str(a) in str(info.value) and "gone.png" in str(info.value)


def test_empty_pair_lists_fail_naming_dataset_and_root(tmp_path):
    with pytest.raises(DataError, match="PairedImageDataset: no image pairs"):
        PairedImageDataset([])
    (tmp_path / "low").mkdir()
    (tmp_path / "high").mkdir()
    with pytest.raises(DataError, match=f"PairedFolder: no image pairs found under {tmp_path}"):
        PairedFolder(root=tmp_path)


def test_relative_root_is_not_applied_twice(tmp_path, monkeypatch):
    _png(tmp_path / "data" / "low" / "a.png")
    _png(tmp_path / "data" / "high" / "a.png")
    monkeypatch.chdir(tmp_path)
    assert len(PairedFolder(root="data")) == 1
    assert len(PairedFolder(root="data", low_dir="low", high_dir="high")) == 1


def test_missing_folders_fail(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        PairedFolder(root=tmp_path / "nowhere")
    (tmp_path / "low").mkdir()
    with pytest.raises(DataError, match="high folder .* does not exist"):
        PairedFolder(root=tmp_path)
    with pytest.raises(ConfigError):
        PairedFolder(low_dir=tmp_path / "low")


def test_crop_larger_than_image_names_the_size_and_pair(folder):
    with pytest.raises(DataError, match=r"crop size 64×64 .* image 24×32.*low"):
        PairedFolder(root=folder, crop_size=64)[0]


def test_crop_and_augment_keep_pairs_aligned(tmp_path):
    img = np.random.default_rng(0).random((24, 32, 3))
    write_image(tmp_path / "low" / "a.png", img)
    write_image(tmp_path / "high" / "a.png", img)
    ds = PairedFolder(root=tmp_path, crop_size=8, augment=True, repeat=16)
    crops = set()
    for i in range(len(ds)):
        item = ds[i]
        assert item["inputs"].shape == (3, 8, 8)
        assert torch.equal(item["inputs"], item["data_samples"]["gt"])
        crops.add(item["inputs"].numpy().tobytes())
    assert len(crops) > 8


def test_repeat_and_max_images(folder):
    ds = PairedFolder(root=folder, repeat=3, max_images=2)
    assert len(ds) == 6
    assert [ds[i]["data_samples"]["name"] for i in range(6)] == ["1", "2"] * 3


def test_resize_option(folder):
    item = PairedFolder(root=folder, resize=[16, 10])[0]
    assert item["inputs"].shape == (3, 10, 16) and item["data_samples"]["gt"].shape == (3, 10, 16)


@pytest.mark.parametrize("options", [{"repeat": 0}, {"crop_size": -1}, {"max_images": 0}, {"resize": "big"},
                                     {"resize": (0, 4)}])
def test_bad_options_are_config_errors(folder, options):
    with pytest.raises(ConfigError, match=next(iter(options))):
        PairedFolder(root=folder, **options)


def _crops(root, seed, torch_seed=0, n=6):
    torch.manual_seed(torch_seed)
    ds = PairedFolder(root=root, crop_size=8, augment=True, seed=seed)
    return [ds[i % 3]["inputs"].numpy().tobytes() for i in range(n)]


def test_random_crops_are_reproducible_per_seed(folder):
    assert _crops(folder, 0) == _crops(folder, 0)
    assert _crops(folder, 0) != _crops(folder, 1)
    assert _crops(folder, 0, torch_seed=0) != _crops(folder, 0, torch_seed=5)  # worker/epoch seeds feed in
    both_passes = _crops(folder, 0, n=6)
    assert both_passes[:3] != both_passes[3:]  # a second pass over the same items sees fresh crops


def test_default_collate_batches_items(folder):
    batch = next(iter(DataLoader(PairedFolder(root=folder, crop_size=8), batch_size=2)))
    assert batch["inputs"].shape == (2, 3, 8, 8) and batch["data_samples"]["gt"].shape == (2, 3, 8, 8)
    assert batch["data_samples"]["name"] == ["1", "2"]


def test_metainfo(folder):
    assert PairedFolder(root=folder).metainfo == {"dataset": "PairedFolder", "root": str(folder), "split": None,
                                                  "num_pairs": 3}


def test_loads_the_shared_lol_sample(lol_sample):
    ds = PairedFolder(root=lol_sample)
    assert len(ds) == 5
    item = ds[0]
    assert item["inputs"].shape == (3, 400, 600) == item["data_samples"]["gt"].shape
    assert float(item["inputs"].mean()) < float(item["data_samples"]["gt"].mean())
    assert Image.open(item["data_samples"]["low_path"]).size == (600, 400)
