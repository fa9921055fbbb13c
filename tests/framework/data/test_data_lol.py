"""LOLv1 / LOLv2 layouts: folder discovery, splits, pairing rules and one-line layout errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from llie.data import LOLv1, LOLv2Real, LOLv2Synthetic, write_image
from llie.data.fixtures import TEST_PAIRS, TRAIN_PAIRS, write_layout
from llie.errors import ConfigError, DataError


def _names(ds) -> list[str]:
    return [ds[i]["data_samples"]["name"] for i in range(len(ds))]


@pytest.mark.parametrize("kind", ["lolv1", "lolv1_original"])
def test_lolv1_both_layouts(tmp_path, kind):
    root = write_layout(kind, tmp_path / "LOLv1")
    train, test = LOLv1(root, "train"), LOLv1(root, split="test")
    assert (len(train), len(test)) == (TRAIN_PAIRS, TEST_PAIRS)
    assert _names(train) == ["1", "2", "3"] and _names(test) == ["4", "5"]
    item = test[0]
    assert item["inputs"].shape == (3, 24, 32)
    low_dir = Path(item["data_samples"]["low_path"]).parent.name
    assert low_dir == ("input" if kind == "lolv1" else "low")
    assert test.metainfo["split"] == "test" and test.metainfo["root"] == str(root)


def test_lolv1_folder_names_match_case_insensitively(tmp_path):
    root = write_layout("lolv1", tmp_path / "LOLv1")
    (root / "Train").rename(root / "train")
    assert len(LOLv1(root, "train")) == TRAIN_PAIRS


def test_lolv2_real_pairs_by_number(tmp_path):
    root = write_layout("lolv2_real", tmp_path / "LOLv2")
    train, test = LOLv2Real(root, "train"), LOLv2Real(root, "test")
    assert (len(train), len(test)) == (TRAIN_PAIRS, TEST_PAIRS)
    for ds in (train, test):
        for i in range(len(ds)):
            sample = ds[i]["data_samples"]
            low, high = Path(sample["low_path"]).stem, Path(sample["high_path"]).stem
            assert low.startswith("low") and high.startswith("normal") and low[3:] == high[6:]
    assert _names(test) == ["low00690", "low00691"]


def test_lolv2_real_root_may_be_the_real_captured_folder(tmp_path):
    root = write_layout("lolv2_real", tmp_path / "LOLv2")
    assert _names(LOLv2Real(root / "Real_captured", "train")) == _names(LOLv2Real(root, "train"))


def test_lolv2_real_number_without_partner_fails(tmp_path):
    root = write_layout("lolv2_real", tmp_path / "LOLv2")
    orphan = root / "Real_captured" / "Test" / "Low" / "low00777.png"
    write_image(orphan, [[[0.1, 0.1, 0.1]]])
    with pytest.raises(DataError) as info:
        LOLv2Real(root, "test")
    assert str(orphan) in str(info.value) and str(root / "Real_captured" / "Test" / "Normal") in str(info.value)


def test_lolv2_synthetic(tmp_path):
    root = write_layout("lolv2_synthetic", tmp_path / "LOLv2")
    train, test = LOLv2Synthetic(root, "train"), LOLv2Synthetic(root / "Synthetic", "test")
    assert (len(train), len(test)) == (TRAIN_PAIRS, TEST_PAIRS)
    sample = test[1]["data_samples"]
    assert Path(sample["low_path"]).name == Path(sample["high_path"]).name
    assert set(_names(test)) == {"r13073518t", "r15bd64bdt"}


@pytest.mark.parametrize("cls, kind", [(LOLv1, "lolv2_real"), (LOLv2Real, "lolv1"), (LOLv2Synthetic, "lolv2_real")])
def test_wrong_layout_is_one_line_naming_dataset_path_and_expectation(tmp_path, cls, kind):
    root = write_layout(kind, tmp_path / "data")
    with pytest.raises(DataError) as info:
        cls(root, "train")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{cls.__name__}:") and str(root) in message and "expected" in message


@pytest.mark.parametrize("cls", [LOLv1, LOLv2Real, LOLv2Synthetic])
def test_missing_root_and_bad_split(tmp_path, cls):
    with pytest.raises(DataError, match=f"{cls.__name__}: dataset root .*nowhere does not exist"):
        cls(tmp_path / "nowhere", "train")
    with pytest.raises(ConfigError, match="split must be 'train' or 'test'"):
        cls(tmp_path, "val")
