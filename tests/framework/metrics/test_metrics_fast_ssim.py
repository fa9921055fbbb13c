"""Float32 SSIM (the default precision) against the float64 reference on photos, LOL pairs and hard synthetic cases."""

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from llie.metrics import ssim
from llie.metrics.fast_ssim import ssim_8bit_fast, ssim_fast_from_unit
from llie.metrics.functional import ssim_8bit


def as_batch(*images_hwc: np.ndarray) -> torch.Tensor:
    arrays = [a[..., None] if a.ndim == 2 else a for a in images_hwc]
    return torch.from_numpy(np.stack(arrays).astype(np.float64) / 255.0).permute(0, 3, 1, 2).contiguous()


def photo_pairs() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    rng = np.random.default_rng(0)
    pairs = {}
    for name in ("astronaut", "coffee", "chelsea"):
        gt = getattr(data, name)().astype(np.float64)
        pairs[f"{name}-noisy"] = (np.clip(gt + rng.normal(0, 2, gt.shape), 0, 255).round(), gt)
        pairs[f"{name}-brighter"] = (np.clip(gt * 1.1 + 20, 0, 255).round(), gt)
        pairs[f"{name}-dark"] = (np.clip(gt * 0.35 + rng.normal(0, 8, gt.shape), 0, 255).round(), gt)
    cam = data.camera().astype(np.float64)
    pairs["camera-noisy"] = (np.clip(cam + rng.normal(0, 20, cam.shape), 0, 255).round(), cam)
    return {k: (as_batch(p), as_batch(g)) for k, (p, g) in pairs.items()}


PHOTOS = photo_pairs()


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_within_1e6_of_float64_on_photos(name):
    pred, gt = PHOTOS[name]
    exact = ssim(pred, gt, precision="exact")
    fast = ssim(pred, gt)
    assert 0.05 < exact.item() < 0.999
    assert abs(fast.item() - exact.item()) < 1e-6
    assert abs(ssim(pred.float(), gt.float()).item() - exact.item()) < 1e-6  # float32 inputs too


def test_within_1e6_of_float64_on_the_lol_sample_pairs(lol_sample):
    for path in sorted((lol_sample / "low").glob("*.png")):
        low = np.asarray(Image.open(path).convert("RGB"))
        high = np.asarray(Image.open(lol_sample / "high" / path.name).convert("RGB"))
        for pred in (low, np.clip(low.astype(np.float64) * 6, 0, 255)):
            p, g = as_batch(pred), as_batch(high)
            assert abs(ssim(p, g).item() - ssim(p, g, precision="exact").item()) < 1e-6, path.name


def two_level_scene(noise: float, scale: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Large flat regions at two extreme grey levels with faint noise: the hardest case for float32 variances."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.zeros(1, 3, 200, 300, dtype=torch.float64)
    base[..., 150:] = 235.0
    base[..., :150] = 20.0
    gt = (base + noise * torch.randn(base.shape, generator=gen, dtype=torch.float64)).round().clamp(0, 255)
    pred = ((base + noise * torch.randn(base.shape, generator=gen, dtype=torch.float64)) * scale).round().clamp(0, 255)
    return pred / 255, gt / 255


@pytest.mark.parametrize("noise, scale", [(0.5, 1.0), (3.0, 1.0), (3.0, 0.5)])
def test_worst_cases_stay_well_inside_the_public_1e4_bound(noise, scale):
    pred, gt = two_level_scene(noise, scale)
    error = abs(ssim(pred, gt).item() - ssim(pred, gt, precision="exact").item())
    assert error < 1e-5  # measured ≤ 5e-6 on such scenes; natural images stay below 3e-7


def test_centring_and_sum_difference_beat_the_plain_float32_formula():
    plain_errors, fast_errors = [], []
    for pred, gt in PHOTOS.values():
        x, y = torch.round(pred * 255), torch.round(gt * 255)
        exact = ssim_8bit(x, y).item()
        plain_errors.append(abs(ssim_8bit(x.float(), y.float()).item() - exact))  # textbook formula in float32
        fast_errors.append(abs(ssim_8bit_fast(x, y).item() - exact))
    assert max(plain_errors) > 1e-6  # float32 as written would break the 1e-6 budget on these photos ...
    assert max(fast_errors) * 5 < max(plain_errors)  # ... the rearranged computation keeps well inside it


def test_identical_images_score_exactly_one():
    pred, _ = PHOTOS["coffee-noisy"]
    assert ssim(pred, pred).item() == 1.0
    assert ssim_8bit_fast(pred * 255, pred * 255).item() == 1.0


def test_each_image_is_scored_independently_of_its_batch():
    preds = torch.cat([PHOTOS["chelsea-noisy"][0], PHOTOS["chelsea-dark"][0], PHOTOS["chelsea-brighter"][0]])
    gts = PHOTOS["chelsea-noisy"][1].expand(3, -1, -1, -1)
    batch = ssim(preds, gts)
    singles = torch.cat([ssim(preds[i:i + 1], gts[i:i + 1]) for i in range(3)])
    assert torch.equal(batch, singles)
    assert len(set(batch.tolist())) == 3


def test_fused_rounding_matches_rounding_first():
    gen = torch.Generator().manual_seed(3)
    gt = torch.rand(2, 3, 48, 64, generator=gen)
    pred = gt * 1.3 - 0.1 + 0.05 * torch.randn(gt.shape, generator=gen)  # partly outside [0, 1]
    levels = torch.round(pred.clamp(0, 1).double() * 255), torch.round(gt.double() * 255)
    torch.testing.assert_close(ssim_fast_from_unit(pred, gt), ssim_8bit_fast(*levels), rtol=0, atol=1e-6)
    torch.testing.assert_close(ssim_fast_from_unit(pred, gt), ssim_8bit(*levels), rtol=0, atol=1e-6)
    assert torch.equal(ssim_fast_from_unit(pred.clamp(0, 1), gt, clamped=True), ssim_fast_from_unit(pred, gt))


def test_opencv_and_torch_pipelines_agree(monkeypatch):
    from llie.metrics import opencv_backend

    pred, gt = PHOTOS["astronaut-dark"]
    luma_pred, luma_gt = (torch.round(img * 255) @ torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)
                          for img in (pred.permute(0, 2, 3, 1), gt.permute(0, 2, 3, 1)))  # non-integer values
    luma_pred, luma_gt = luma_pred[:, None], luma_gt[:, None]
    with_opencv = ssim(pred, gt), ssim_8bit_fast(luma_pred, luma_gt)
    monkeypatch.setattr(opencv_backend, "opencv", lambda: None)  # the path other devices take
    assert abs(ssim(pred, gt).item() - with_opencv[0].item()) < 1e-6
    assert abs(ssim_8bit_fast(luma_pred, luma_gt).item() - with_opencv[1].item()) < 1e-6
    assert abs(with_opencv[1].item() - ssim_8bit(luma_pred, luma_gt).item()) < 1e-6


def test_an_image_with_nan_scores_nan_and_leaves_its_batch_alone():
    pred, gt = PHOTOS["coffee-noisy"]
    batch_pred, batch_gt = pred.repeat(2, 1, 1, 1), gt.repeat(2, 1, 1, 1)
    batch_pred[1, 0, 7, 9] = float("nan")
    scores = ssim(batch_pred, batch_gt)
    assert scores[0].item() == ssim(pred, gt).item() and scores[1].isnan()
    assert ssim(batch_pred, batch_gt, precision="exact")[1].isnan()  # as the float64 path


def test_results_do_not_alias_the_reused_buffers():
    pred, gt = PHOTOS["chelsea-dark"]
    first = ssim(pred, gt)
    kept = first.clone()
    small_pred, small_gt = pred[..., :40, :50], gt[..., :40, :50]  # another size: buffers are reallocated
    ssim(small_pred, small_gt)
    ssim(PHOTOS["chelsea-noisy"][0], gt)
    assert torch.equal(first, kept)
    assert ssim(pred, gt).item() == kept.item()


def test_two_threads_give_the_same_scores():
    pred, gt = PHOTOS["astronaut-noisy"]
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = ssim(pred, gt)
        torch.set_num_threads(2)
        threaded = ssim(pred, gt)
    finally:
        torch.set_num_threads(previous)
    assert torch.equal(single, threaded)
