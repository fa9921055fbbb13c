"""Crop windows of cached full-image features: exact slicing when stride-aligned, the prior's crop size otherwise,
flips/rotations consistent with the datasets', and close to the real prior on interior crops."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import default_collate
from prior_cache_fixtures import PoolPrior, tiny_hrnet

from llie.cache.prior_cache import _split
from llie.cache.windows import ItemSource, batch_sources, crop_features, crop_map, orient
from llie.data.synthetic import SyntheticPairs

GEOMETRIES = [(h, v, k) for h in (0, 1) for v in (0, 1) for k in range(4)]


def _full_entry(prior, image):
    with torch.no_grad():
        return _split(prior(image[None]), tuple(image.shape[-2:]))[0]


def test_aligned_window_is_exactly_a_slice_of_the_cached_map():
    fmap = torch.randn(5, 10, 12)
    window = crop_map(fmap, 4, (8, 12, 16, 20))
    assert torch.equal(window, fmap[:, 2:6, 3:8])


@pytest.mark.parametrize("box", [(5, 3, 16, 16), (1, 2, 13, 7), (0, 0, 39, 47)])
def test_unaligned_window_has_the_size_the_prior_gives_the_crop(box):
    fmap = torch.randn(2, 10, 12)  # a 40×48 image at stride 4
    window = crop_map(fmap, 4, box)
    assert tuple(window.shape) == (2, math.ceil(box[2] / 4), math.ceil(box[3] / 4))
    assert torch.isfinite(window).all()


@pytest.mark.parametrize("flip_h,flip_v,k", GEOMETRIES)
def test_window_with_flips_and_turns_equals_the_prior_on_the_transformed_crop(flip_h, flip_v, k):
    prior = PoolPrior()
    image = torch.rand(3, 24, 32)
    box = (4, 8, 12, 16)  # aligned to every stride of the pooling prior: the window is exact
    source = ItemSource("img", (24, 32), box, flip_h, flip_v, k)
    crop = orient(image[:, 4:16, 8:24], flip_h, flip_v, k)
    expected = _full_entry(prior, crop)
    got = crop_features(_full_entry(prior, image), source)
    assert got.size == tuple(crop.shape[-2:]) == source.output_size
    for (s_got, t_got), (s_exp, t_exp) in zip(got.levels, expected.levels):
        assert s_got == s_exp and torch.allclose(t_got, t_exp, atol=1e-6)
    assert torch.allclose(got.logits, expected.logits, atol=1e-6)


def test_interior_window_approximates_the_real_prior_on_the_crop():
    """Tiny random HRNet, crop aligned to its coarsest stride: interior features (a 16-pixel border dropped) agree
    to cosine similarity > 0.98 at strides 4 and 8. Border features see different context and are not compared;
    crops not aligned to the stride differ much more (see framework/cache/windows.py)."""
    prior = tiny_hrnet(seed=0)
    image = next(SyntheticPairs(split="train", image_size=128, variants_per_image=1,
                                photos=["astronaut"]).full_low_images())[1]
    box = (32, 32, 64, 64)
    window = crop_features(_full_entry(prior, image), ItemSource("a", (128, 128), box))
    direct = _full_entry(prior, image[:, 32:96, 32:96])
    for (stride, got), (_, want) in list(zip(window.levels, direct.levels))[:2]:
        m = 16 // stride
        cos = F.cosine_similarity(got[:, m:-m, m:-m].flatten(), want[:, m:-m, m:-m].flatten(), dim=0)
        assert cos > 0.98, (stride, float(cos))


def test_batch_sources_reads_collated_dataset_fields():
    ds = SyntheticPairs(split="train", image_size=32, variants_per_image=1, crop_size=16, augment=True,
                        photos=["astronaut", "camera"])
    batch = default_collate([ds[0], ds[1]])
    sources = batch_sources(batch["data_samples"], 2)
    for i, source in enumerate(sources):
        sample = ds[i]["data_samples"]  # a fresh draw: compare only what does not depend on it
        assert source.source_key == sample["source_key"] and source.source_size == (32, 32)
        assert source.box[2:] == (16, 16) and not source.is_full_image
    assert batch_sources({"name": ["x", "y"]}, 2) == [None, None]
    assert batch_sources(None, 3) == [None, None, None]
