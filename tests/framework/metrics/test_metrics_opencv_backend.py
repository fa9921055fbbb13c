"""OpenCV backend plumbing: float64-accumulated squared distances, planes spread over threads, thread setting kept."""
import threading

import cv2
import pytest
import torch

from llie.metrics.opencv_backend import for_each_plane, opencv_usable, squared_distance


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_squared_distance_is_the_float64_sum_also_on_cropped_views(dtype):
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(3, 40, 50, generator=gen).to(dtype), torch.rand(3, 40, 50, generator=gen).to(dtype)
    for x, y in ((a, b), (a[:, 2:-2, 3:-3], b[:, 2:-2, 3:-3])):
        want = (x.double() - y.double()).square().sum().item()
        assert squared_distance(x, y) == pytest.approx(want, rel=1e-12)


def test_for_each_plane_covers_every_index_on_one_or_several_threads():
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            seen, workers = [], set()

            def work(i: int) -> None:
                seen.append(i)
                workers.add(threading.get_ident())

            for_each_plane(7, work)
            assert sorted(seen) == list(range(7))
            assert (threading.get_ident() in workers) == (threads == 1)  # one thread: the caller does the work
    finally:
        torch.set_num_threads(previous)


def test_opencv_thread_setting_is_restored():
    before = cv2.getNumThreads()
    for_each_plane(3, lambda i: None)
    assert cv2.getNumThreads() == before


def test_usable_only_for_cpu_floats():
    assert opencv_usable(torch.zeros(2, 2))
    assert opencv_usable(torch.zeros(2, 2, dtype=torch.float64))
    assert not opencv_usable(torch.zeros(2, 2, dtype=torch.float16))
    assert not opencv_usable(torch.zeros(2, 2, dtype=torch.int32))
