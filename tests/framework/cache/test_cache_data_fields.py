"""What the datasets tell the prior cache: source key and size, crop box, flips and turns (enough to rebuild each
item from its full image), batched by the default collate; and every full low image once, unaugmented."""
from __future__ import annotations

import numpy as np
import torch
from mmengine.dataset import default_collate

from llie.data import PairedFolder
from llie.data.fixtures import write_layout
from llie.data.paired import UNKNOWN_BOX, geometry_from_coordinates, pixel_coordinates
from llie.data.synthetic import SyntheticPairs


def _rebuild(full: torch.Tensor, sample: dict) -> torch.Tensor:
    top, left, height, width = sample["crop_box"].tolist()
    crop = full[:, top:top + height, left:left + width]
    if sample["flip_h"]:
        crop = crop.flip(-1)
    if sample["flip_v"]:
        crop = crop.flip(-2)
    return torch.rot90(crop, sample["rot90_k"], dims=(-2, -1))


def test_items_can_be_rebuilt_from_their_full_image(tmp_path):
    ds = PairedFolder(root=write_layout("paired_folder", tmp_path / "pf"), crop_size=8, augment=True, repeat=8)
    fulls = dict(ds.full_low_images())
    assert len(fulls) == len(ds.pairs)
    seen = set()
    for index in range(len(ds)):
        item = ds[index]
        sample = item["data_samples"]
        assert sample["source_key"] == sample["low_path"]
        assert sample["source_size"].tolist() == list(fulls[sample["source_key"]].shape[-2:])
        assert torch.equal(_rebuild(fulls[sample["source_key"]], sample), item["inputs"])
        seen.add((sample["flip_h"], sample["flip_v"], sample["rot90_k"]))
    assert len(seen) > 3  # the draws exercised several flips/turns


def test_uncropped_items_describe_the_full_image(tmp_path):
    ds = PairedFolder(root=write_layout("paired_folder", tmp_path / "pf"), resize=(20, 12))
    sample = ds[0]["data_samples"]
    assert sample["crop_box"].tolist() == [0, 0, 12, 20] and sample["source_size"].tolist() == [12, 20]
    assert (sample["flip_h"], sample["flip_v"], sample["rot90_k"]) == (0, 0, 0)
    assert sample["source_key"].endswith("@resize=20x12")  # the resized image is a different source
    key, full = next(ds.full_low_images())
    assert key == sample["source_key"] and torch.equal(full, ds[0]["inputs"])


def test_synthetic_keys_are_stable_and_full_images_unaugmented():
    a = SyntheticPairs(split="train", image_size=32, variants_per_image=2, crop_size=16, augment=True, seed=3,
                       photos=["camera"])
    b = SyntheticPairs(split="train", image_size=32, variants_per_image=2, crop_size=16, augment=True, seed=3,
                       photos=["camera"])
    keys = [k for k, _ in a.full_low_images()]
    assert keys == ["synthetic:3:camera_v0:32", "synthetic:3:camera_v1:32"] == [k for k, _ in b.full_low_images()]
    assert all(img.shape == (3, 32, 32) for _, img in a.full_low_images())
    test = SyntheticPairs(split="test", image_size=32, variants_per_image=1, seed=3, photos=["coffee"])
    assert next(test.full_low_images())[0] == "synthetic:0:coffee_v0:32"  # test pairs are always darkened with 0


def test_default_collate_batches_the_fields():
    ds = SyntheticPairs(split="train", image_size=32, variants_per_image=1, crop_size=16, augment=True,
                        photos=["astronaut", "camera"])
    samples = default_collate([ds[0], ds[1]])["data_samples"]
    assert samples["source_key"] == ["synthetic:0:astronaut_v0:32", "synthetic:0:camera_v0:32"]
    assert samples["crop_box"].shape == (2, 4) and samples["source_size"].shape == (2, 2)
    assert samples["flip_h"].shape == samples["flip_v"].shape == samples["rot90_k"].shape == (2,)


def test_non_geometric_transforms_leave_the_geometry_unknown():
    coords = pixel_coordinates(6, 5)
    turned = geometry_from_coordinates(np.rot90(coords[1:5, 2:5], 3))
    assert turned.box == (1, 2, 4, 3) and (turned.flip_h, turned.flip_v, turned.rot90_k) == (0, 0, 3)
    noisy = coords + np.random.default_rng(0).normal(0, 0.3, coords.shape).astype(np.float32)
    assert geometry_from_coordinates(noisy).box == UNKNOWN_BOX
