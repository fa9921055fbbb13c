"""MATLAB-style bicubic imresize against BasicSR 1.4.2's ``imresize`` (stored outputs) and its properties."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from llie.metrics.matlab_resize import imresize, mirrored, resize_taps

#: BasicSR 1.4.2 ``imresize(x, 0.5)`` (antialiasing on) of the 8×10 input below, float32
BASICSR_HALF = [[0.2721967, 0.4849571, 0.4819087, 0.4529565, 0.36897975],
                [0.5200062, 0.475, 0.45382968, 0.5272365, 0.42322302],
                [0.57368267, 0.45707726, 0.5625, 0.4749694, 0.5403186],
                [0.41052392, 0.5193015, 0.6194087, 0.54575676, 0.55381435]]
#: BasicSR 1.4.2 ``imresize(x[:4, :4], 1.5)``
BASICSR_UP = [[-0.041122146, 0.032434538, 0.1382353, 0.23496743, 0.34076786, 0.4143246],
              [0.18115464, 0.2904412, 0.43124557, 0.5250729, 0.6301471, 0.7037038],
              [0.53231055, 0.53043747, 0.56234163, 0.6652062, 0.77253985, 0.8460965],
              [0.9329893, 0.47059757, 0.05134343, 0.19164792, 0.30834228, 0.38189906],
              [0.67276704, 0.4247549, 0.21552296, 0.33839852, 0.4507353, 0.5242921],
              [0.2836657, 0.39692262, 0.5416167, 0.63512117, 0.7401147, 0.81367147]]


def pattern() -> torch.Tensor:
    return torch.from_numpy(((np.arange(80).reshape(8, 10) * 37) % 256).astype(np.float32) / np.float32(255))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_basicsr_imresize(dtype):
    x = pattern().to(dtype)
    half, up = imresize(x, 0.5), imresize(x[:4, :4], 1.5)
    assert half.dtype == up.dtype == dtype
    np.testing.assert_allclose(half.numpy(), BASICSR_HALF, rtol=0, atol=2e-7)
    np.testing.assert_allclose(up.numpy(), BASICSR_UP, rtol=0, atol=2e-6)


def test_output_size_is_matlab_ceil():
    assert imresize(torch.rand(7, 9), 0.5).shape == (4, 5)
    assert imresize(torch.rand(2, 3, 10, 11), 0.3).shape == (2, 3, 3, 4)


def test_constant_stays_constant_and_rows_sum_to_one():
    weights, _ = resize_taps(37, 19, 0.5)
    assert torch.allclose(weights.sum(dim=1), torch.ones(19, dtype=torch.float64), atol=1e-15)
    assert torch.allclose(imresize(torch.full((37, 41), 0.3, dtype=torch.float64), 0.5), torch.tensor(0.3,
                          dtype=torch.float64), atol=1e-15)


def test_shrinking_antialiases():
    stripes = torch.tensor([[1.0, 0.0] * 24] * 8, dtype=torch.float64)  # the highest frequency there is
    # by 1/3 without antialiasing every output samples one input pixel, alternately a 1 and a 0
    aliased = imresize(stripes, 1 / 3, antialiasing=False)[:, 2:-2]
    smoothed = imresize(stripes, 1 / 3)[:, 2:-2]
    assert float(smoothed.std()) < 0.01 < 0.4 < float(aliased.std())


def test_borders_mirror_half_sample():
    assert mirrored(torch.arange(-3, 8), 5).tolist() == [2, 1, 0, 0, 1, 2, 3, 4, 4, 3, 2]


def test_batched_planes_resize_independently():
    planes = torch.rand(2, 3, 12, 14)
    out = imresize(planes, 0.5)
    assert torch.equal(out[1, 2], imresize(planes[1, 2], 0.5))
