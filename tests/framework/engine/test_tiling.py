"""Tiled inference: exact when the tile covers the image or the network is local enough, seamless otherwise."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from llie.engine.tiling import (axis_weight, batch_same_size, enhance_tensor, ramp, round_tile, tile_count,
                                     tile_starts, tiled_forward)
from llie.errors import ConfigError
from llie.registry import build


@pytest.fixture(scope="module")
def unet_model():
    torch.manual_seed(0)
    model = build("models", {"type": "SemanticPriorModel", "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}})
    return model.eval()


def _fn(model):
    return lambda t: model(t, mode="tensor")


def test_tile_covering_the_image_reproduces_the_untiled_output(unet_model):
    x = torch.rand(2, 3, 30, 44)
    with torch.no_grad():
        ref = unet_model(x, mode="tensor")
        out = tiled_forward(_fn(unet_model), x, tile=64, overlap=16, multiple=unet_model.pad_multiple)
    assert out.shape == ref.shape
    assert (out - ref).abs().max() <= 1e-4


def test_pointwise_network_is_reproduced_exactly_by_overlapping_tiles():
    x = torch.rand(2, 3, 70, 95)

    def fn(t):
        return 2.0 * t.flip(1) - 0.5  # no spatial context: every tile sees the same per-pixel function

    out = tiled_forward(fn, x, tile=32, overlap=12)
    assert tile_count((70, 95), 32, 12) > 4
    assert (out - fn(x)).abs().max() <= 1e-6


def test_local_network_within_the_discarded_margin_is_reproduced_exactly():
    torch.manual_seed(1)
    net = torch.nn.Sequential(*[torch.nn.Conv2d(3, 3, 3, padding=1) for _ in range(4)])  # receptive radius 4
    x = torch.rand(1, 3, 100, 130)
    with torch.no_grad():
        out = tiled_forward(net, x, tile=48, overlap=16)  # discards overlap // 4 = 4 pixels at each cut edge
        ref = net(x)
    assert (out - ref).abs().max() <= 1e-5


def test_unet_with_overlap_is_close_to_the_untiled_output(unet_model):
    """Tolerance: the U-Net's receptive radius (~12 px) exceeds overlap // 4, so cut-edge effects reach into the
    cross-fade band. Measured with this random init: max |Δ| ≈ 2e-5 at overlap 16 (7e-4 at overlap 8); the
    bound below leaves room for other seeds while still catching a broken blend (which shows errors ≥ 1e-2)."""
    x = torch.rand(1, 3, 70, 90)
    fn = _fn(unet_model)
    with torch.no_grad():
        ref = fn(x)
        out = tiled_forward(fn, x, tile=32, overlap=16, multiple=unet_model.pad_multiple)
    assert tile_count((70, 90), 32, 16, unet_model.pad_multiple) == 4 * 5
    diff = (out - ref).abs()
    assert diff.max() <= 1e-3
    assert diff.mean() <= 1e-4


def test_batches_of_tiles_match_one_tile_per_call(unet_model):
    x = torch.rand(3, 3, 40, 52)
    with torch.no_grad():
        one = tiled_forward(_fn(unet_model), x, 24, 8, multiple=2, max_batch=1)
        many = tiled_forward(_fn(unet_model), x, 24, 8, multiple=2, max_batch=12)
    assert (one - many).abs().max() <= 1e-5


def test_tiles_are_equal_sized_cover_the_axis_and_start_on_multiples():
    for length, tile, overlap in ((100, 32, 8), (64, 32, 0), (33, 16, 4), (10, 32, 8), (256, 64, 32)):
        starts = tile_starts(length, tile, overlap)
        size = min(tile, length)
        assert starts[0] == 0 and starts[-1] + size == length
        assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:]))
    assert all(s % 8 == 0 for s in tile_starts(96, 32, 8))
    assert round_tile(100, 16) == 96 and round_tile(5, 16) == 16


def test_window_ramps_sum_to_one_and_stay_one_at_image_borders():
    r = ramp(16)
    assert torch.allclose(r + r.flip(0), torch.ones(16))
    assert r[:4].eq(0).all() and r[-4:].eq(1).all()
    assert axis_weight(0, 32, 32, 8, torch.float32).eq(1).all()  # a lone tile is never faded
    w = axis_weight(16, 32, 100, 8, torch.float32)
    assert w[0] == 0 and w[-1] == 0 and w[16] == 1


def test_bad_tiling_arguments_fail_clearly():
    x = torch.rand(1, 3, 64, 64)
    with pytest.raises(ConfigError, match="overlap"):
        tiled_forward(lambda t: t, x, tile=32, overlap=32)
    with pytest.raises(ValueError, match="shape"):
        tiled_forward(lambda t: t[..., :-1, :], x, tile=32, overlap=8)


def test_enhance_tensor_tiles_only_when_asked():
    x = torch.rand(1, 3, 40, 40)
    calls = []

    def fn(t):
        calls.append(tuple(t.shape))
        return t

    enhance_tensor(fn, x)
    assert calls == [(1, 3, 40, 40)]
    calls.clear()
    enhance_tensor(fn, x, tile=16, overlap=4, max_batch=100)
    assert calls and calls[0][-2:] == (16, 16)


def test_batch_same_size_groups_by_size_in_first_seen_order(tmp_path):
    sizes = [(20, 10), (30, 10), (20, 10), (20, 10), (30, 10)]
    paths = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"img{i}.png"
        Image.fromarray(np.zeros((size[1], size[0], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    groups = batch_same_size(paths + [broken], max_batch=2)
    names = [[p.name for p in g] for g in groups]
    assert names == [["img0.png", "img2.png"], ["img1.png", "img4.png"], ["img3.png"], ["broken.png"]]
