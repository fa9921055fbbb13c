"""Paired transforms keep low and high aligned and are driven only by the generator they are given."""
from __future__ import annotations

import numpy as np
import pytest

from llie.data.transforms import PairedCompose, PairedFlip, PairedRandomCrop, PairedRotate90
from llie.errors import DataError


def _pair(h: int = 12, w: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """low encodes each pixel's position; high = low + 1000, so alignment is checkable pixel by pixel."""
    low = np.arange(h * w * 3, dtype=np.float64).reshape(h, w, 3)
    return low, low + 1000.0


ALL = [PairedRandomCrop(5), PairedRandomCrop((4, 7)), PairedFlip(), PairedRotate90(),
       PairedCompose([PairedRandomCrop(6), PairedFlip(), PairedRotate90()])]


@pytest.mark.parametrize("transform", ALL, ids=repr)
def test_pairs_stay_aligned(transform):
    for seed in range(12):
        low, high = _pair()
        out_low, out_high = transform(low, high, np.random.default_rng(seed))
        np.testing.assert_array_equal(out_high - out_low, 1000.0)
        same_low, same_high = transform(low, low.copy(), np.random.default_rng(seed))
        np.testing.assert_array_equal(same_low, same_high)


def test_crop_window_is_the_one_drawn():
    low, high = _pair()
    crop = PairedRandomCrop((4, 7))
    top, left = crop.window(low.shape, np.random.default_rng(3))
    out_low, out_high = crop(low, high, np.random.default_rng(3))
    np.testing.assert_array_equal(out_low, low[top:top + 4, left:left + 7])
    np.testing.assert_array_equal(out_high, high[top:top + 4, left:left + 7])
    corners = {crop.window(low.shape, np.random.default_rng(s)) for s in range(40)}
    assert len(corners) > 5  # the window really moves with the generator
    assert all(0 <= t <= 8 and 0 <= l <= 9 for t, l in corners)


def test_crop_larger_than_image_fails_naming_both_sizes():
    low, high = _pair(12, 16)
    with pytest.raises(DataError, match=r"crop size 20×20 .* image 12×16"):
        PairedRandomCrop(20)(low, high, np.random.default_rng(0))
    with pytest.raises(DataError):
        PairedRandomCrop(0)


def test_misaligned_sizes_are_refused():
    low, _ = _pair(12, 16)
    with pytest.raises(DataError, match="different sizes"):
        PairedRandomCrop(4)(low, np.zeros((12, 15, 3)), np.random.default_rng(0))


def test_flip_and_rotation_visit_every_state():
    low, high = _pair(4, 4)
    flips, rotations = set(), set()
    for seed in range(64):
        f, _ = PairedFlip()(low, high, np.random.default_rng(seed))
        flips.add(f.tobytes())
        r, _ = PairedRotate90()(low, high, np.random.default_rng(seed))
        rotations.add(r.tobytes())
    assert len(flips) == 4 and len(rotations) == 4


def test_disabled_flips_do_nothing():
    low, high = _pair()
    out, _ = PairedFlip(horizontal=False, vertical=False, p=1.0)(low, high, np.random.default_rng(0))
    np.testing.assert_array_equal(out, low)
    out, _ = PairedFlip(horizontal=True, vertical=False, p=1.0)(low, high, np.random.default_rng(0))
    np.testing.assert_array_equal(out, low[:, ::-1])


def test_rotation_of_non_square_images_swaps_height_and_width():
    low, high = _pair(12, 16)
    shapes = {PairedRotate90()(low, high, np.random.default_rng(s))[1].shape for s in range(20)}
    assert shapes == {(12, 16, 3), (16, 12, 3)}


def test_compose_is_reproducible_per_seed():
    low, high = _pair()
    compose = PairedCompose([PairedRandomCrop(6), PairedFlip(), PairedRotate90()])
    a = compose(low, high, np.random.default_rng(7))[0]
    b = compose(low, high, np.random.default_rng(7))[0]
    np.testing.assert_array_equal(a, b)
    others = [compose(low, high, np.random.default_rng(s))[0] for s in range(8, 14)]
    assert any(o.shape != a.shape or not np.array_equal(o, a) for o in others)
    assert len(compose) == 3
