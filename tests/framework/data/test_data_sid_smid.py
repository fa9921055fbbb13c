"""SID / SMID scene layouts: scene splits, one ground truth per scene, BGR arrays, the published 960×512 resize of
every split."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from llie.data import SID, SMID
from llie.data.fixtures import TEST_PAIRS, TRAIN_PAIRS, write_layout
from llie.errors import ConfigError, DataError


@pytest.fixture
def sid_root(tmp_path):
    return write_layout("sid", tmp_path / "SID")


@pytest.fixture
def smid_root(tmp_path):
    return write_layout("smid", tmp_path / "SMID")


def _scenes(ds) -> list[str]:
    return [Path(p.low).parent.name for p in ds.pairs]


def test_sid_splits_by_scene_prefix(sid_root):
    train, test = SID(sid_root, "train"), SID(sid_root, "test")
    assert (len(train), len(test)) == (TRAIN_PAIRS, TEST_PAIRS)
    assert set(_scenes(train)) == {"00001", "20002"} and set(_scenes(test)) == {"10003"}


def test_smid_splits_by_test_list(smid_root):
    train, test = SMID(smid_root, "train"), SMID(smid_root, "test")
    assert (len(train), len(test)) == (TRAIN_PAIRS, TEST_PAIRS)
    assert set(_scenes(train)) == {"0001", "0002"} and set(_scenes(test)) == {"0003"}


@pytest.mark.parametrize("cls, fixture", [(SID, "sid_root"), (SMID, "smid_root")])
def test_every_short_exposure_pairs_with_its_scene_ground_truth(request, cls, fixture):
    root = request.getfixturevalue(fixture)
    for split in ("train", "test"):
        ds = cls(root, split)
        for pair in ds.pairs:
            assert pair.high.parent.name == pair.low.parent.name
            assert pair.high.name == f"{pair.low.parent.name}_long.npy"  # never the '_half' file
        shorts = [p for p in ds.pairs if p.low.parent.name in ("00001", "0001", "10003", "0003")]
        assert len({p.high for p in shorts}) == 1 and len(shorts) == 2


@pytest.mark.parametrize("cls, fixture", [(SID, "sid_root"), (SMID, "smid_root")])
def test_arrays_are_read_as_rgb(request, cls, fixture):
    gt = cls(request.getfixturevalue(fixture), "train")[0]["data_samples"]["gt"]
    r, g, b = (gt[c] for c in range(3))
    assert bool((r > g).all()) and bool((g > b).all())  # fixtures hold R > G > B, stored as BGR


@pytest.mark.parametrize("cls, fixture", [(SID, "sid_root"), (SMID, "smid_root")])
def test_published_resize_for_train_and_test_by_default(request, cls, fixture):
    """SNR-Aware and Retinexformer set train_size [960, 512] on both their train and val sets."""
    root = request.getfixturevalue(fixture)
    for split in ("train", "test"):
        item = cls(root, split)[0]
        assert item["inputs"].shape == (3, 512, 960) and item["data_samples"]["gt"].shape == (3, 512, 960), split
    assert cls(root, "train", resize=None)[0]["inputs"].shape == (3, 24, 32)
    assert cls(root, "test", resize=None)[0]["inputs"].shape == (3, 24, 32)
    assert cls(root, "train", resize=[48, 40])[0]["inputs"].shape == (3, 40, 48)
    with pytest.raises(ConfigError, match="resize"):
        cls(root, "test", resize="huge")


def test_names_are_unique_and_carry_the_scene(sid_root):
    ds = SID(sid_root, "train")
    names = [p.name for p in ds.pairs]
    assert len(set(names)) == len(names) and all(n.split("_")[0] in ("00001", "20002") for n in names)


def test_sid_scene_without_ground_truth_folder_fails_naming_both(sid_root):
    lonely = sid_root / "short_sid2" / "10009"
    lonely.mkdir()
    np.save(lonely / "x.npy", np.zeros((24, 32, 3), np.uint8))
    with pytest.raises(DataError) as info:
        SID(sid_root, "test")
    assert str(lonely) in str(info.value) and str(sid_root / "long_sid2" / "10009") in str(info.value)
    assert len(SID(sid_root, "test", skip_bad_pairs=True)) == TEST_PAIRS


def test_smid_needs_its_test_list(smid_root):
    (smid_root / "test_list.txt").unlink()
    with pytest.raises(DataError, match="test_list.txt"):
        SMID(smid_root, "test")


@pytest.mark.parametrize("cls, expected", [(SID, "short_sid2"), (SMID, "SMID_LQ_np")])
def test_unrecognised_layout_is_one_line(tmp_path, cls, expected):
    (tmp_path / "something_else").mkdir()
    with pytest.raises(DataError) as info:
        cls(tmp_path, "train")
    message = str(info.value)
    assert "\n" not in message and message.startswith(cls.__name__) and str(tmp_path) in message
    assert expected in message
