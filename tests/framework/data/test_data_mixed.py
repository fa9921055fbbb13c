"""Mixed training data: unpaired folders cropped for training, MixedSources, its batch sampler (the share of each
source in every batch, deterministic, any num_workers) and its collate (missing gt → zeros, has_target, source)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from llie.data import MixedBatchSampler, MixedSources, UnpairedFolder, collate_mixed, read_image
from llie.data.fixtures import write_layout
from llie.errors import ConfigError


@pytest.fixture
def folders(tmp_path):
    paired = write_layout("paired_folder", tmp_path / "paired", size=(40, 32))
    unpaired = write_layout("unpaired_folder", tmp_path / "unpaired", size=(40, 32), seed=1)
    return paired, unpaired


def mixed(folders, shares=(0.5, 0.5), crop=16, repeat=(1, 1)):
    paired, unpaired = folders
    return MixedSources({
        "synthetic": {"share": shares[0], "dataset": {"type": "PairedFolder", "root": str(paired), "crop_size": crop,
                                                      "augment": True, "repeat": repeat[0]}},
        "real": {"share": shares[1], "dataset": {"type": "UnpairedFolder", "root": str(unpaired), "crop_size": crop,
                                                 "augment": True, "repeat": repeat[1]}},
    })


class FakeSampler:
    """What mmengine hands the batch sampler: the run's sampler, with its dataset and seed."""

    def __init__(self, dataset, seed=0):
        self.dataset, self.seed = dataset, seed


def test_unpaired_training_crop_is_the_window_crop_box_names(folders):
    _, unpaired = folders
    ds = UnpairedFolder(root=unpaired, crop_size=16, augment=True, repeat=2, seed=3)
    assert len(ds) == 2 * len(ds.files)
    for index in range(len(ds)):
        item = ds[index]
        samples = item["data_samples"]
        top, left, height, width = samples["crop_box"].tolist()
        assert item["inputs"].shape == (3, 16, 16) and (height, width) == (16, 16)
        full = read_image(ds.files[index % len(ds.files)])[top:top + 16, left:left + 16]
        if samples["flip_h"]:
            full = full[:, ::-1]
        if samples["flip_v"]:
            full = full[::-1]
        full = np.rot90(full, samples["rot90_k"], axes=(0, 1))
        assert np.array_equal(item["inputs"].permute(1, 2, 0).numpy(), full)
        assert "gt" not in samples


def test_unpaired_evaluation_items_stay_whole(folders):
    _, unpaired = folders
    item = UnpairedFolder(root=unpaired)[0]
    assert item["inputs"].shape == (3, 32, 40) and item["data_samples"]["crop_box"].tolist() == [0, 0, 32, 40]


def test_mixed_sources_index_space_and_source_field(folders):
    ds = mixed(folders, repeat=(2, 1))
    assert ds.names == ["synthetic", "real"] and len(ds) == 6 + 3 and ds.offsets == [0, 6, 9]
    assert [ds[i]["data_samples"]["source"] for i in (0, 5, 6, 8)] == ["synthetic"] * 2 + ["real"] * 2
    assert "gt" in ds[0]["data_samples"] and "gt" not in ds[6]["data_samples"]
    assert ds.locate(7) == (1, 1) and ds[-1]["data_samples"]["source"] == "real"
    assert not ds.has_ground_truth_of("real") and ds.has_ground_truth_of("synthetic")


@pytest.mark.parametrize("shares, batch_size, counts", [((0.5, 0.5), 8, [4, 4]), ((0.25, 0.75), 8, [2, 6]),
                                                        ((0.75, 0.25), 4, [3, 1])])
def test_each_batch_holds_round_share_times_batch_size_of_each_source(folders, shares, batch_size, counts):
    ds = mixed(folders, shares)
    sampler = MixedBatchSampler(FakeSampler(ds), batch_size)
    batches = list(zip(range(12), sampler))
    for _, batch in batches:
        assert len(batch) == batch_size
        got = [sum(ds.locate(i)[0] == position for i in batch) for position in range(2)]
        assert got == counts
        assert [ds.locate(i)[0] for i in batch] == sorted(ds.locate(i)[0] for i in batch)  # sources in config order


def test_each_source_is_visited_in_whole_shuffled_passes(folders):
    ds = mixed(folders, (0.5, 0.5), repeat=(2, 2))  # 6 items per source
    batches = [b for _, b in zip(range(3), MixedBatchSampler(FakeSampler(ds), 4))]  # 2 per source per batch
    for position in range(2):
        drawn = [i for b in batches for i in b if ds.locate(i)[0] == position]
        assert sorted(drawn) == list(range(ds.offsets[position], ds.offsets[position + 1]))
    assert [b for _, b in zip(range(3), MixedBatchSampler(FakeSampler(ds), 4, shuffle=False))][0] == [0, 1, 6, 7]


def test_batches_are_deterministic_under_the_seed(folders):
    ds = mixed(folders)
    take = lambda seed: [b for _, b in zip(range(10), MixedBatchSampler(FakeSampler(ds, seed), 4))]  # noqa: E731
    assert take(0) == take(0) and take(0) != take(1)
    sampler = MixedBatchSampler(FakeSampler(ds, 5), 4)
    assert [b for _, b in zip(range(5), sampler)] == [b for _, b in zip(range(5), sampler)]  # re-iterating restarts
    assert len(sampler) == 2  # one pass over the longer source: 3 items at 2 per batch


@pytest.mark.parametrize("shares, batch_size", [((0.5, 0.5), 5), ((0.9, 0.1), 4), ((0.5, 0.25), 8)])
def test_shares_that_do_not_split_the_batch_fail_naming_them(folders, shares, batch_size):
    with pytest.raises(ConfigError, match="must split data.batch_size"):
        mixed(folders, shares).batch_counts(batch_size)


@pytest.mark.parametrize("sources, message", [
    ({"bad_name": {"share": 1.0, "dataset": {}}}, "letters and digits"),
    ({"a": {"share": 0, "dataset": {}}}, r"share must be a number in \(0, 1\]"),
    ({"a": {"share": 1.0}}, "with 'share' and 'dataset'"),
    ({"a": {"share": 1.0, "dataset": {}, "weight": 2}}, "unknown key 'weight'"),
    ({}, "must be a mapping"),
])
def test_bad_source_entries_fail_in_one_line(sources, message):
    with pytest.raises(ConfigError, match=message):
        MixedSources(sources)


def test_sources_must_share_one_crop_size(folders):
    paired, unpaired = folders
    with pytest.raises(ConfigError, match="same crop_size.*synthetic: 16, real: None"):
        MixedSources({"synthetic": {"share": 0.5, "dataset": {"type": "PairedFolder", "root": str(paired),
                                                              "crop_size": 16}},
                      "real": {"share": 0.5, "dataset": {"type": "UnpairedFolder", "root": str(unpaired)}}})


def test_collate_fills_missing_targets_and_marks_them(folders):
    ds = mixed(folders)
    batch = collate_mixed([ds[0], ds[3], ds[1]])
    samples = batch["data_samples"]
    assert batch["inputs"].shape == (3, 3, 16, 16)
    assert samples["has_target"].tolist() == [True, False, True] and samples["has_target"].dtype == torch.bool
    assert samples["source"] == ["synthetic", "real", "synthetic"]
    assert torch.count_nonzero(samples["gt"][1]) == 0 and torch.count_nonzero(samples["gt"][0]) > 0
    assert samples["high_path"][1] == "" and samples["high_path"][0].endswith(".png")


def test_collate_of_unpaired_items_only_still_has_gt_and_has_target(folders):
    ds = mixed(folders)
    samples = collate_mixed([ds[3], ds[4]])["data_samples"]
    assert samples["gt"].shape == (2, 3, 16, 16) and samples["has_target"].tolist() == [False, False]


@pytest.mark.parametrize("workers", [0, 1])
def test_a_torch_loader_gives_the_sampled_batches_with_any_num_workers(folders, workers):
    ds = mixed(folders)
    sampler = MixedBatchSampler(FakeSampler(ds, 2), 4)
    torch.manual_seed(0)
    loader = DataLoader(ds, batch_sampler=sampler, collate_fn=collate_mixed, num_workers=workers)
    for (_, batch), indices in zip(zip(range(3), loader), sampler):
        assert batch["data_samples"]["source"] == ["synthetic", "synthetic", "real", "real"]
        assert batch["data_samples"]["name"] == [ds[i]["data_samples"]["name"] for i in indices]
