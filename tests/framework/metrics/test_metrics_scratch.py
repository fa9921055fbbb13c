"""Per-thread scratch buffers: reused while the shape holds, replaced when it changes, never shared across threads."""
import threading

import torch

from llie.metrics.scratch import clamped, release, scratch


def test_same_name_and_shape_reuses_the_buffer():
    first = scratch("test.a", (3, 4))
    again = scratch("test.a", (3, 4))
    assert again.data_ptr() == first.data_ptr() and again.dtype == torch.float32
    other_name = scratch("test.b", (3, 4))
    assert other_name.data_ptr() != first.data_ptr()


def test_a_new_shape_or_dtype_gets_a_new_buffer():
    first = scratch("test.c", (2, 5))
    reshaped = scratch("test.c", (5, 2))
    assert reshaped.shape == (5, 2) and reshaped is not first
    retyped = scratch("test.c", (5, 2), torch.int16)
    assert retyped.dtype == torch.int16 and retyped is not reshaped


def test_threads_have_their_own_buffers_and_release_drops_them():
    mine = scratch("test.d", (8,))
    seen = {}
    worker = threading.Thread(target=lambda: seen.setdefault("ptr", scratch("test.d", (8,)).data_ptr()))
    worker.start()
    worker.join()
    assert seen["ptr"] != mine.data_ptr()
    release()
    assert scratch("test.d", (8,)) is not mine


def test_clamped_returns_in_range_inputs_themselves_and_copies_others():
    inside = torch.rand(2, 3, 4, 5)
    assert clamped(inside, "test.e") is inside
    wild = inside * 3 - 1
    out = clamped(wild, "test.e")
    assert out is not wild and torch.equal(out, wild.clamp(0, 1)) and wild.min() < 0  # input untouched
    with_nan = inside.clone()
    with_nan[0, 0, 0, 0] = float("nan")
    assert clamped(with_nan, "test.f").isnan().sum() == 1
