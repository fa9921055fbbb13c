"""The vectorised metrics agree with the scikit-image loop to 1e-4 under both protocols, on files and in memory."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from llie.bench.eval_speed import load_pairs, measure_eval_speed, skimage_loop, synthetic_pairs
from llie.errors import DataError


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
def test_values_agree_with_scikit_image(protocol):
    pairs = synthetic_pairs(3, 40, 56, seed=1) + synthetic_pairs(2, 32, 32, seed=2)  # two sizes: two batches
    result = measure_eval_speed(pairs, protocol, runs=1, warmup=0, batch=2)
    assert result.n_images == 5 and result.size == "32x32,56x40"
    assert result.max_abs_diff_psnr <= 1e-4 and result.max_abs_diff_ssim <= 1e-4
    assert result.ours.median > 0 and result.skimage.median > 0 and result.speedup > 0


@pytest.mark.filterwarnings("ignore:divide by zero")  # scikit-image's PSNR of identical images is inf
def test_reference_loop_sees_the_difference_between_images():
    pairs = synthetic_pairs(2, 32, 32)
    psnr, ssim = skimage_loop(pairs, "basicsr")
    same_psnr, same_ssim = skimage_loop([(gt, gt) for _, gt in pairs], "basicsr")
    assert np.all(psnr < 40) and np.all(np.isinf(same_psnr)) and np.allclose(same_ssim, 1.0)


def test_pairs_are_read_from_folders_by_stem(tmp_path):
    rng = np.random.default_rng(0)
    for sub in ("low", "high"):
        (tmp_path / sub).mkdir()
        for name in ("a", "b"):
            Image.fromarray(rng.integers(0, 256, (24, 20, 3), dtype=np.uint8)).save(tmp_path / sub / f"{name}.png")
    pairs = load_pairs(tmp_path / "low", tmp_path / "high")
    assert len(pairs) == 2 and pairs[0][0].shape == (24, 20, 3) and pairs[0][0].dtype == np.uint8
    with pytest.raises(DataError, match="does not exist"):
        load_pairs(tmp_path / "missing", tmp_path / "high")
