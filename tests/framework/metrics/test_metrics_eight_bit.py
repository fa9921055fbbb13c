"""8-bit levels: round half to even like numpy, exactly, also where float32 lands the product x·255 on a tie."""
import numpy as np
import torch

from llie.metrics.eight_bit import eight_bit_levels


def float32_ties() -> torch.Tensor:
    """Float32 values x whose float32 product x·255 is a half-integer although the exact product is not.

    ``float32((k + 0.5) / 255)`` is such a value for every level k: the naive float32 rounding gets half of them
    wrong (round half to even picks by parity, the exact product lies on a definite side).
    """
    centres = ((np.arange(255) + 0.5) / 255).astype(np.float32)
    x = torch.from_numpy(centres)
    scaled = x * 255
    exact = x.double() * 255
    on_tie = (scaled - scaled.round()).abs() == 0.5
    return x[on_tie & (exact != scaled.double())]


def test_float64_is_numpy_rounding_of_the_exact_product():
    x = torch.rand(2, 3, 17, 19, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x[0, 0, 0, :4] = torch.tensor([0.5, 1.5, 2.5, 254.5], dtype=torch.float64) / 255  # exact ties: half to even
    levels = eight_bit_levels(x)
    assert levels.dtype == torch.float64
    np.testing.assert_array_equal(levels.numpy(), np.round(x.numpy() * 255))
    assert levels[0, 0, 0, :4].tolist() == [0.0, 2.0, 2.0, 254.0]


def test_float32_ties_are_rounded_like_float64():
    x = float32_ties()
    assert len(x) > 100  # the construction really produced float32 ties
    naive = torch.round(x * 255)
    want = torch.round(x.double() * 255).float()
    assert (naive != want).any()  # the naive float32 rounding is wrong somewhere ...
    got = eight_bit_levels(x)
    assert got.dtype == torch.float32
    assert torch.equal(got, want)  # ... the levels are not


def test_float32_random_values_match_float64_rounding():
    x = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    x.view(-1)[:200] = float32_ties()[:200]
    assert torch.equal(eight_bit_levels(x), torch.round(x.double() * 255).float())


def test_half_precision_inputs_are_upcast_exactly():
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    for dtype in (torch.float16, torch.bfloat16):
        narrow = x.to(dtype)
        assert torch.equal(eight_bit_levels(narrow), torch.round(narrow.double() * 255).float())
