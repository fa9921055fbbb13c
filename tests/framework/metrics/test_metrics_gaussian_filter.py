"""SSIM's Gaussian window and valid-region filtering: OpenCV and torch backends against a direct 2-D convolution."""
import cv2
import pytest
import torch
import torch.nn.functional as F

from llie.metrics import opencv_backend
from llie.metrics.gaussian_filter import BORDER, SSIM_WINDOW, filter_valid, gaussian_window_1d


def direct_filter(maps: torch.Tensor) -> torch.Tensor:
    """Reference: one 11×11 float64 convolution with the outer-product window, valid region."""
    window = gaussian_window_1d()
    kernel = torch.outer(window, window)[None, None]
    planes = maps.to(torch.float64).reshape(-1, 1, *maps.shape[-2:])
    out = F.conv2d(planes, kernel)
    return out.reshape(*maps.shape[:-2], *out.shape[-2:])


@pytest.fixture
def without_opencv(monkeypatch):
    monkeypatch.setattr(opencv_backend, "opencv", lambda: None)


def test_window_is_opencvs_gaussian_kernel():
    window = gaussian_window_1d()
    assert window.shape == (SSIM_WINDOW,) and window.dtype == torch.float64
    assert window.sum().item() == pytest.approx(1.0, abs=1e-15)
    assert torch.equal(window, window.flip(0))
    opencv = torch.from_numpy(cv2.getGaussianKernel(SSIM_WINDOW, 1.5, cv2.CV_64F)[:, 0])
    torch.testing.assert_close(window, opencv, rtol=0, atol=1e-16)
    assert torch.equal(gaussian_window_1d(dtype=torch.float32), window.float())


@pytest.mark.parametrize("backend", ["opencv", "torch"])
@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-9), (torch.float32, 0.05)])
def test_matches_a_direct_2d_convolution(request, backend, dtype, tolerance):
    if backend == "torch":
        request.getfixturevalue("without_opencv")
    maps = torch.randint(0, 65026, (2, 3, 37, 45), generator=torch.Generator().manual_seed(0)).to(dtype)
    got = filter_valid(maps)
    assert got.shape == (2, 3, 37 - 2 * BORDER, 45 - 2 * BORDER) and got.dtype == dtype
    # float32 sums of values up to 255² keep ~7 significant digits: 0.05 absolute on values ~3e4
    torch.testing.assert_close(got.double(), direct_filter(maps), rtol=0, atol=tolerance)


def test_backends_agree_and_delta_is_added_per_plane(monkeypatch):
    maps = torch.rand(2, 4, 3, 30, 40, generator=torch.Generator().manual_seed(1)) * 500
    delta = torch.zeros(2, 4, 3)
    delta[:, 2] = 117.045
    delta[1, 0, 1] = -3.0
    with_opencv = filter_valid(maps, delta)
    monkeypatch.setattr(opencv_backend, "opencv", lambda: None)
    with_torch = filter_valid(maps, delta)
    torch.testing.assert_close(with_opencv, with_torch, rtol=1e-6, atol=1e-3)
    torch.testing.assert_close(with_opencv - filter_valid(maps), delta[..., None, None].expand_as(with_opencv),
                               rtol=0, atol=1e-3)


def test_worker_threads_give_the_same_planes():
    maps = torch.rand(3, 4, 3, 40, 50, generator=torch.Generator().manual_seed(2))
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = filter_valid(maps)
        torch.set_num_threads(2)
        threaded = filter_valid(maps)
    finally:
        torch.set_num_threads(previous)
    assert torch.equal(single, threaded)


def test_images_smaller_than_the_window_are_rejected():
    with pytest.raises(ValueError, match="at least 11×11"):
        filter_valid(torch.rand(1, 1, 10, 40))
