"""PSNR/SSIM against published reference values, scikit-image, mmcv's BT.601 luma and the LOL sample pairs."""
from pathlib import Path

import cv2
import mmcv
import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data, img_as_ubyte
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from llie.metrics import bt601_luma, get_protocol, match_gt_mean, psnr, psnr_ssim, ssim
from llie.metrics.functional import gray_mean

PHOTOS = {"astronaut": data.astronaut, "coffee": data.coffee, "chelsea": data.chelsea}


# ----------------------------------------------------------------------------------------------- helpers (numpy side)
def to_batch(*images_hwc: np.ndarray) -> torch.Tensor:
    """HxWxC (or HxW) float arrays in [0, 1] -> B×C×H×W float64 tensor."""
    arrays = [a[..., None] if a.ndim == 2 else a for a in images_hwc]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def sk_psnr(pred, gt, data_range):
    return peak_signal_noise_ratio(gt, pred, data_range=data_range)


def sk_ssim(pred, gt):
    """scikit-image's Gaussian SSIM in the configuration both protocols use (on 0..255 values)."""
    return structural_similarity(gt, pred, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=255, channel_axis=-1 if pred.ndim == 3 else None)


def luma_255_mmcv(rgb_u8: np.ndarray) -> np.ndarray:
    """BasicSR's ``to_y_channel``: float32 BGR in [0, 1] -> mmcv/BasicSR bgr2ycbcr(y_only) -> ×255, unrounded."""
    bgr = rgb_u8[..., ::-1].astype(np.float32) / 255.0
    return mmcv.bgr2ycbcr(bgr, y_only=True).astype(np.float64) * 255.0


def luma_255_mmcv_float(rgb: np.ndarray) -> np.ndarray:
    """The same for an unrounded float RGB image in [0, 1] (the Retinexformer protocol's PSNR input)."""
    return mmcv.bgr2ycbcr(rgb[..., ::-1].astype(np.float32), y_only=True).astype(np.float64) * 255.0


def gt_mean_as_published(restored: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Retinexformer's ``test_from_dataset.py --GT_mean`` step written out (the KinD / LLFlow convention): the gray
    level is OpenCV's BGR2GRAY applied to the RGB-ordered float32 arrays, the ratio of the means rescales, then clip."""
    mean_restored = cv2.cvtColor(restored.astype(np.float32), cv2.COLOR_BGR2GRAY).mean()
    mean_target = cv2.cvtColor(target.astype(np.float32), cv2.COLOR_BGR2GRAY).mean()
    return np.clip(restored * (mean_target / mean_restored), 0, 1)


def degrade(gt: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    """Synthetic enhancement outputs: not on the 8-bit grid, and partly outside [0, 1] to exercise clamping."""
    rng = np.random.default_rng(seed)
    if kind == "dark_noise":
        return 0.35 * gt + rng.normal(0.0, 0.03, gt.shape)
    if kind == "gamma_bright":
        return gt**1.4 + 0.06
    if kind == "color_cast":
        return gt * np.array([1.12, 0.93, 1.0]) + rng.normal(0.0, 0.01, gt.shape)
    raise ValueError(kind)


@pytest.fixture(scope="module")
def photos():
    return {name: load().astype(np.float64) / 255.0 for name, load in PHOTOS.items()}


def reference_scores(pred: np.ndarray, gt: np.ndarray, protocol: str, crop: int = 0, y_channel: bool = False,
                     gt_mean: bool = False) -> tuple[float, float]:
    """The protocol written out step by step with numpy, scikit-image and mmcv (independent of the torch code)."""
    pred = np.clip(pred, 0.0, 1.0)
    if gt_mean:
        pred = gt_mean_as_published(pred, gt)
    if crop:
        pred, gt = pred[crop:-crop, crop:-crop], gt[crop:-crop, crop:-crop]
    pred_u8, gt_u8 = img_as_ubyte(pred), img_as_ubyte(gt)  # Retinexformer's and BasicSR's 8-bit conversion
    if y_channel:
        pred_y, gt_y = luma_255_mmcv(pred_u8), luma_255_mmcv(gt_u8)
        if protocol == "retinexformer":
            value_psnr = sk_psnr(luma_255_mmcv_float(pred), luma_255_mmcv_float(gt), 255)
        else:
            value_psnr = sk_psnr(pred_y, gt_y, 255)
        return value_psnr, sk_ssim(pred_y, gt_y)
    if protocol == "retinexformer":
        value_psnr = sk_psnr(pred, gt, 1.0)
    else:
        value_psnr = sk_psnr(pred_u8.astype(np.float64), gt_u8.astype(np.float64), 255)
    return value_psnr, sk_ssim(pred_u8, gt_u8)


def scores(pred: np.ndarray, gt: np.ndarray, protocol: str, **options) -> tuple[float, float]:
    p, g = to_batch(pred), to_batch(gt)
    return psnr(p, g, protocol, **options).item(), ssim(p, g, protocol, **options).item()


# ------------------------------------------------------------------------------------- published reference values
@pytest.fixture(scope="module")
def noisy_camera():
    """scikit-image's own IPOL test pair: camera + seed-5 Gaussian noise (σ 20), clipped, cast to uint8."""
    state = np.random.get_state()
    try:
        np.random.seed(5)
        cam = data.camera()
        noisy = np.clip(cam + 20.0 * np.random.randn(*cam.shape), 0, 255).astype(np.uint8)
    finally:
        np.random.set_state(state)
    return cam, noisy


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
def test_camera_reference_values_single_channel(noisy_camera, protocol):
    cam, noisy = noisy_camera
    pred, gt = to_batch(noisy / 255.0), to_batch(cam / 255.0)
    assert pred.shape == (1, 1, 512, 512)
    value_psnr, value_ssim = psnr(pred, gt, protocol).item(), ssim(pred, gt, protocol).item()
    # The published values come from IPOL's imdiff; scikit-image matches them to 4 (PSNR) / 5 (SSIM) decimals.
    assert value_psnr == pytest.approx(22.409353363576034, abs=1e-6)
    assert value_ssim == pytest.approx(0.357959091663361, abs=1e-5)
    # ... and scikit-image itself to float64 precision; the default SSIM filters in float32 (fast_ssim), so the
    # float64 agreement is asserted on precision="exact" and the default is held to 1e-6 of it.
    exact_ssim = ssim(pred, gt, protocol, precision="exact").item()
    assert value_psnr == pytest.approx(sk_psnr(noisy, cam, 255), abs=1e-10)
    assert exact_ssim == pytest.approx(sk_ssim(noisy, cam), abs=1e-10)
    assert value_ssim == pytest.approx(exact_ssim, abs=1e-6)


def test_camera_replicated_to_rgb_scores_the_same(noisy_camera):
    cam, noisy = noisy_camera
    pred = to_batch(noisy / 255.0).expand(-1, 3, -1, -1)
    gt = to_batch(cam / 255.0).expand(-1, 3, -1, -1)
    assert psnr(pred, gt).item() == pytest.approx(22.409353363576034, abs=1e-6)
    assert ssim(pred, gt).item() == pytest.approx(0.357959091663361, abs=1e-5)


@pytest.mark.parametrize("y_channel, want_psnr, want_ssim", [(False, 48.1308036, 0.9130623),
                                                              (True, 49.4527218, 0.9987801)])
def test_mmagic_ones_vs_twos_under_basicsr(y_channel, want_psnr, want_ssim):
    ones = np.full((32, 32, 3), 1.0 / 255.0)
    value_psnr, value_ssim = scores(ones, 2 * ones, "basicsr", y_channel=y_channel)
    # mmagic computes Y in float32, which moves the 7th decimal of its Y PSNR; we compute in float64.
    assert value_psnr == pytest.approx(want_psnr, abs=5e-6)
    assert value_ssim == pytest.approx(want_ssim, abs=1e-7)


def test_mmagic_y_psnr_is_the_exact_float64_value():
    ones = np.full((32, 32, 3), 1.0 / 255.0)
    value_psnr, _ = scores(ones, 2 * ones, "basicsr", y_channel=True)
    luma_step = (65.481 + 128.553 + 24.966) / 255.0  # Y difference of RGB (1,1,1) vs (2,2,2) on 0..255
    assert value_psnr == pytest.approx(10 * np.log10(255.0**2 / luma_step**2), abs=1e-10)


# ------------------------------------------------------------------------------- real photos vs scikit-image / mmcv
CASES = [("astronaut", "dark_noise"), ("coffee", "gamma_bright"), ("chelsea", "color_cast")]


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
@pytest.mark.parametrize("photo, kind", CASES)
def test_rgb_matches_scikit_image_on_photos(photos, photo, kind, protocol):
    gt = photos[photo]
    pred = degrade(gt, kind)
    want = reference_scores(pred, gt, protocol)
    got = scores(pred, gt, protocol)
    assert got == pytest.approx(want, abs=1e-4)
    assert 5.0 < got[0] < 40.0 and 0.0 < got[1] < 1.0  # a real degradation, not a degenerate case


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
@pytest.mark.parametrize("photo, kind", CASES[:2])
def test_y_channel_matches_mmcv_luma_and_scikit_image(photos, photo, kind, protocol):
    gt = photos[photo]
    pred = degrade(gt, kind, seed=1)
    want = reference_scores(pred, gt, protocol, y_channel=True)
    assert scores(pred, gt, protocol, y_channel=True) == pytest.approx(want, abs=1e-4)


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
def test_crop_border_and_gt_mean_match_the_written_out_protocol(photos, protocol):
    gt = photos["coffee"][:160, :200]
    pred = degrade(gt, "dark_noise", seed=2)
    for options in ({"crop_border": 4}, {"gt_mean": True}, {"crop_border": 2, "gt_mean": True, "y_channel": True}):
        want = reference_scores(pred, gt, protocol, crop=options.get("crop_border", 0),
                                y_channel=options.get("y_channel", False), gt_mean=options.get("gt_mean", False))
        assert scores(pred, gt, protocol, **options) == pytest.approx(want, abs=1e-4), options


@pytest.fixture(scope="module")
def lol_pairs(lol_sample: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The real LOL sample pairs as uint8 RGB arrays (found through ``llie.paths.sample_data_dir()``)."""
    names = sorted(p.name for p in (lol_sample / "low").glob("*.png"))
    read = lambda path: np.asarray(Image.open(path).convert("RGB"))  # noqa: E731
    return [(read(lol_sample / "low" / n), read(lol_sample / "high" / n)) for n in names]


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
def test_lol_sample_pairs_match_scikit_image_in_one_batch(protocol, lol_pairs):
    pairs = lol_pairs
    # A brightened low-light input stands in for an enhancer's output: float, partly above 1.
    preds = [np.clip(low / 255.0 * 6.0, 0.0, 1.3) for low, _ in pairs]
    gts = [high / 255.0 for _, high in pairs]
    got_psnr = psnr(to_batch(*preds), to_batch(*gts), protocol).tolist()
    got_ssim = ssim(to_batch(*preds), to_batch(*gts), protocol).tolist()
    want = [reference_scores(p, g, protocol) for p, g in zip(preds, gts)]
    assert got_psnr == pytest.approx([w[0] for w in want], abs=1e-4)
    assert got_ssim == pytest.approx([w[1] for w in want], abs=1e-4)


@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
def test_gt_mean_on_lol_sample_pairs_is_the_published_formula(protocol, lol_pairs):
    """GT-mean PSNR/SSIM of gamma-brightened real low-light images equal the published OpenCV formula's, and differ
    measurably from a plain RGB mean (the two conventions are not interchangeable on real colour casts)."""
    preds = [(low / 255.0) ** 0.45 for low, _ in lol_pairs]  # a gamma-brightened input as the "enhanced" output
    gts = [high / 255.0 for _, high in lol_pairs]
    want = [reference_scores(p, g, protocol, gt_mean=True) for p, g in zip(preds, gts)]
    got_psnr, got_ssim = psnr_ssim(to_batch(*preds), to_batch(*gts), protocol, gt_mean=True)
    assert got_psnr.tolist() == pytest.approx([w[0] for w in want], abs=1e-4)
    assert got_ssim.tolist() == pytest.approx([w[1] for w in want], abs=1e-4)
    rgb_mean = psnr(to_batch(*preds), to_batch(*gts), protocol, gt_mean=True, gt_mean_gray="rgb_mean")
    assert (rgb_mean - got_psnr).abs().max().item() > 0.05


# ---------------------------------------------------------------------------------------------- batching, devices
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA"))]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("protocol", ["retinexformer", "basicsr"])
def test_batch_equals_one_by_one(photos, protocol, device):
    gt_one = photos["astronaut"][100:196, 150:270]
    preds = [degrade(gt_one, kind, seed=s) for s, kind in enumerate(["dark_noise", "gamma_bright", "color_cast"])]
    preds.append(gt_one * 0.8)
    pred, gt = to_batch(*preds).to(device), to_batch(*[gt_one] * 4).to(device)
    options = {"crop_border": 3, "y_channel": protocol == "basicsr"}
    batch_psnr, batch_ssim = psnr(pred, gt, protocol, **options), ssim(pred, gt, protocol, **options)
    assert batch_psnr.shape == batch_ssim.shape == (4,)
    assert batch_psnr.dtype == batch_ssim.dtype == torch.float64
    assert batch_psnr.device.type == device
    singles_psnr = torch.cat([psnr(pred[i:i + 1], gt[i:i + 1], protocol, **options) for i in range(4)])
    singles_ssim = torch.cat([ssim(pred[i:i + 1], gt[i:i + 1], protocol, **options) for i in range(4)])
    torch.testing.assert_close(batch_psnr, singles_psnr, rtol=0, atol=1e-10)
    torch.testing.assert_close(batch_ssim, singles_ssim, rtol=0, atol=1e-12)
    assert len(set(batch_psnr.tolist())) == 4  # four different images really were scored


def test_float32_and_channels_last_inputs_give_the_same_scores(photos):
    gt = photos["chelsea"][:64, :96]
    pred = degrade(gt, "color_cast")
    p64, g64 = to_batch(pred), to_batch(gt)
    p32 = p64.float().contiguous(memory_format=torch.channels_last)
    g32 = g64.float().contiguous(memory_format=torch.channels_last)
    assert ssim(p32, g32).item() == pytest.approx(ssim(p64, g64).item(), abs=1e-6)
    assert psnr(p32, g32).item() == pytest.approx(psnr(p64, g64).item(), abs=1e-4)


# ------------------------------------------------------------------------------------------------------ semantics
def test_protocols_differ_only_where_documented(photos):
    gt = photos["coffee"][:96, :128]
    pred = degrade(gt, "gamma_bright")
    retinex_psnr, retinex_ssim = scores(pred, gt, "retinexformer")
    basicsr_psnr, basicsr_ssim = scores(pred, gt, "basicsr")
    assert retinex_ssim == basicsr_ssim  # both measure SSIM on 8-bit RGB
    assert abs(retinex_psnr - basicsr_psnr) > 1e-4  # float vs 8-bit PSNR


def test_identical_images(photos):
    gt = to_batch(photos["chelsea"][:40, :40])
    assert psnr(gt, gt, "retinexformer").item() == 100.0  # Retinexformer's convention for a zero MSE
    assert psnr(gt, gt, "basicsr").item() == float("inf")  # BasicSR's
    assert ssim(gt, gt, "retinexformer").item() == pytest.approx(1.0, abs=1e-12)


def test_pred_outside_unit_range_is_clamped(photos):
    gt = to_batch(photos["astronaut"][:48, :48])
    wild = gt * 3.0 - 1.0
    for protocol in ("retinexformer", "basicsr"):
        assert psnr(wild, gt, protocol).item() == psnr(wild.clamp(0, 1), gt, protocol).item()
        assert ssim(wild, gt, protocol).item() == ssim(wild.clamp(0, 1), gt, protocol).item()


def test_gt_mean_undoes_a_global_brightness_error(photos):
    gt = to_batch(photos["chelsea"][100:164, 150:214])
    dim = gt * 0.5
    assert psnr(dim, gt, "retinexformer").item() < 20.0
    # halving is exact in binary, so the GT-mean ratio is exactly 2 and the output equals the ground truth
    assert psnr(dim, gt, "retinexformer", gt_mean=True).item() == 100.0
    assert psnr(dim, gt, "basicsr", gt_mean=True).item() == float("inf")
    assert ssim(dim, gt, "basicsr", gt_mean=True).item() == pytest.approx(1.0, abs=1e-12)


def test_match_gt_mean_equalises_gray_means_and_clips():
    gt = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 0.5
    pred = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 0.1
    matched = match_gt_mean(pred, gt)
    torch.testing.assert_close(gray_mean(matched), gray_mean(gt))
    plain = match_gt_mean(pred, gt, "rgb_mean")
    torch.testing.assert_close(plain.mean(dim=(1, 2, 3)), gt.mean(dim=(1, 2, 3)))
    bright = match_gt_mean(pred, torch.full_like(gt, 0.9))
    assert bright.max() <= 1.0 and bright.max() == 1.0  # some pixels needed clipping
    black = torch.zeros_like(pred)
    assert torch.equal(match_gt_mean(black, gt), black)  # no NaN from a 0/0 ratio


def test_gt_mean_gray_level_is_bgr2gray_on_rgb_channels():
    """OpenCV's BGR2GRAY read on RGB data: R weighs 0.114, B 0.299 (not BT.601's 0.299 R, 0.114 B)."""
    for channel, weight in enumerate((0.114, 0.587, 0.299)):
        pure = torch.zeros(1, 3, 4, 4, dtype=torch.float64)
        pure[:, channel] = 1.0
        assert gray_mean(pure).item() == pytest.approx(weight, abs=1e-12)
        assert gray_mean(pure, "rgb_mean").item() == pytest.approx(1 / 3, abs=1e-12)
    assert get_protocol("basicsr", gt_mean=True).tag == "basicsr+gtmean"
    assert get_protocol("basicsr", gt_mean=True, gt_mean_gray="rgb_mean").tag == "basicsr+gtmean-rgbmean"


def test_y_channel_ignores_a_change_that_keeps_luma(photos):
    gt_np = photos["chelsea"][100:164, 100:164] * 0.6 + 0.2
    shift = np.array([128.553, -65.481, 0.0]) * 2e-4  # R/G trade-off with zero BT.601 luma change
    pred, gt = to_batch(gt_np + shift), to_batch(gt_np)
    assert psnr(pred, gt, "retinexformer").item() < 60.0
    assert psnr(pred, gt, "retinexformer", y_channel=True).item() > 100.0


def test_bt601_luma_matches_mmcv():
    rgb = np.random.default_rng(3).random((8, 9, 3)).astype(np.float32)
    want = mmcv.bgr2ycbcr(rgb[..., ::-1], y_only=True)
    got = bt601_luma(to_batch(rgb.astype(np.float64)))[0, 0].numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    gray = torch.rand(1, 1, 4, 4, dtype=torch.float64)
    assert torch.equal(bt601_luma(gray), gray)


def test_crop_border_ignores_a_corrupted_frame(photos):
    gt = to_batch(photos["astronaut"][:40, :40])
    pred = gt.clone()
    pred[..., :3, :] = 0.0
    pred[..., :, -3:] = 1.0
    assert psnr(pred, gt, "basicsr").item() < 30.0
    assert psnr(pred, gt, "basicsr", crop_border=3).item() == float("inf")
    assert ssim(pred, gt, "basicsr", crop_border=3).item() == pytest.approx(1.0, abs=1e-12)


def test_a_protocol_object_and_overrides_are_accepted(photos):
    gt = photos["coffee"][:48, :48]
    pred = degrade(gt, "dark_noise")
    proto = get_protocol("basicsr", crop_border=2)
    p, g = to_batch(pred), to_batch(gt)
    assert psnr(p, g, proto).item() == psnr(p, g, "basicsr", crop_border=2).item()
    assert psnr(p, g, proto, y_channel=True).item() == psnr(p, g, "basicsr", crop_border=2, y_channel=True).item()


# ----------------------------------------------------------------------------------------------------------- errors
def test_images_smaller_than_the_window_are_rejected_for_ssim():
    tiny = torch.rand(1, 3, 10, 32)
    with pytest.raises(ValueError, match="at least 11×11"):
        ssim(tiny, tiny)
    assert psnr(tiny, tiny * 0.5).isfinite().all()  # PSNR has no window
    ok = torch.rand(1, 3, 15, 15)
    with pytest.raises(ValueError, match="at least 11×11"):
        ssim(ok, ok, crop_border=3)


@pytest.mark.parametrize("pred_shape, gt_shape, message", [
    ((1, 3, 16, 16), (1, 3, 16, 17), "shapes differ"),
    ((3, 16, 16), (3, 16, 16), "B×C×H×W"),
    ((1, 4, 16, 16), (1, 4, 16, 16), "channels"),
    ((0, 3, 16, 16), (0, 3, 16, 16), "empty batch"),
])
def test_bad_inputs_are_value_errors(pred_shape, gt_shape, message):
    for metric in (psnr, ssim):
        with pytest.raises(ValueError, match=message):
            metric(torch.rand(pred_shape), torch.rand(gt_shape))


def test_crop_larger_than_image_is_a_value_error():
    img = torch.rand(1, 3, 12, 12)
    with pytest.raises(ValueError, match="crop_border=6"):
        psnr(img, img, crop_border=6)


# ------------------------------------------------------------------------------------------------------ precision
@pytest.mark.parametrize("precision", ["fast", "exact"])
@pytest.mark.parametrize("protocol, options", [("retinexformer", {}), ("basicsr", {}),
                                               ("retinexformer", {"gt_mean": True}),
                                               ("basicsr", {"y_channel": True, "crop_border": 2})])
def test_psnr_ssim_equals_the_separate_metrics(photos, protocol, options, precision):
    gt = photos["coffee"][:64, :80]
    p, g = to_batch(degrade(gt, "dark_noise", seed=4)).float(), to_batch(gt).float()  # float32, like model outputs
    both_psnr, both_ssim = psnr_ssim(p, g, protocol, precision=precision, **options)
    assert torch.equal(both_psnr, psnr(p, g, protocol, precision=precision, **options))
    assert torch.equal(both_ssim, ssim(p, g, protocol, precision=precision, **options))


def test_fast_psnr_of_float32_images_is_within_1e6_db_and_exact_for_float64(photos):
    gt = photos["astronaut"][:96, :128]
    pred = degrade(gt, "color_cast", seed=5)
    p64, g64 = to_batch(pred), to_batch(gt)
    p32, g32 = p64.float(), g64.float()
    for protocol in ("retinexformer", "basicsr"):
        assert torch.equal(psnr(p64, g64, protocol), psnr(p64, g64, protocol, precision="exact"))
        exact32 = psnr(p32, g32, protocol, precision="exact").item()
        assert psnr(p32, g32, protocol).item() == pytest.approx(exact32, abs=1e-6)


def test_unknown_precision_is_a_value_error():
    img = torch.rand(1, 3, 16, 16)
    for metric in (psnr, ssim, psnr_ssim):
        with pytest.raises(ValueError, match="precision 'double'"):
            metric(img, img, precision="double")
