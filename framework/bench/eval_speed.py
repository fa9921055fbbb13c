"""Evaluation speed: our vectorised PSNR/SSIM (:mod:`llie.metrics`) vs. a scikit-image per-image loop.

Both sides score the same images held in memory (decoding is common to both and left out): ours takes float
``B×3×H×W`` tensors in batches of same-size images, scikit-image gets each image as 8-bit ``H×W×3`` arrays, the
usual way evaluation scripts call it. The reference calls are

- PSNR: ``peak_signal_noise_ratio(gt, pred, data_range=1.0)`` on float images in [0, 1] (``retinexformer``
  protocol) or ``data_range=255`` on the 8-bit images (``basicsr``);
- SSIM: ``structural_similarity(gt, pred, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  data_range=255, channel_axis=-1)`` on the 8-bit images (both protocols).

The figures are the median time of each side over ``runs`` repetitions (interleaved), their ratio, and the largest
absolute difference between the two sides' per-image values.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from .timing import Timing, time_interleaved

PROTOCOLS = ("retinexformer", "basicsr")


@dataclass
class EvalSpeedResult:
    n_images: int
    size: str
    protocol: str
    ours: Timing
    skimage: Timing
    max_abs_diff_psnr: float
    max_abs_diff_ssim: float
    threads: int

    @property
    def speedup(self) -> float:
        return self.skimage.median / self.ours.median

    def as_dict(self) -> dict:
        return {"n_images": self.n_images, "size": self.size, "protocol": self.protocol, "threads": self.threads,
                "ours_median_s": self.ours.median, "ours_iqr_s": self.ours.iqr,
                "skimage_median_s": self.skimage.median, "skimage_iqr_s": self.skimage.iqr, "speedup": self.speedup,
                "max_abs_diff_psnr": self.max_abs_diff_psnr, "max_abs_diff_ssim": self.max_abs_diff_ssim,
                "runs": self.ours.runs}


def load_pairs(low_dir: str | Path, high_dir: str | Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pairs of two folders (paired by stem, as ``llie eval --pairs``) as 8-bit ``H×W×3`` arrays."""
    from ..data.io import read_image
    from ..data.paired import pair_folder_files

    low_dir, high_dir = Path(low_dir), Path(high_dir)
    for folder in (low_dir, high_dir):
        if not folder.is_dir():
            raise DataError(f"llie bench eval: folder {folder} does not exist")
    pairs = pair_folder_files(low_dir, high_dir, dataset="bench eval")
    if not pairs:
        raise DataError(f"llie bench eval: no image pairs in {low_dir} and {high_dir}")
    out = []
    for pair in pairs:
        low, high = read_image(pair.low), read_image(pair.high)
        if low.shape != high.shape:
            raise DataError(f"llie bench eval: {pair.low} is {low.shape[:2]} but {pair.high} is {high.shape[:2]}")
        out.append((to_uint8(low), to_uint8(high)))
    return out


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(img, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def synthetic_pairs(n: int, height: int = 400, width: int = 600, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` smooth random 8-bit images and noisy darker copies: metric speed does not depend on the content."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        coarse = torch.from_numpy(rng.random((1, 3, max(2, height // 16), max(2, width // 16))))
        gt = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
        gt = gt[0].permute(1, 2, 0).numpy()
        pred = 0.8 * gt + rng.normal(0.0, 0.05, gt.shape)
        out.append((to_uint8(pred), to_uint8(gt)))
    return out


def _batches(pairs: list[tuple[np.ndarray, np.ndarray]], batch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Float tensors in [0, 1], same-size images stacked ``batch`` at a time (order kept within each size)."""
    by_size: dict[tuple[int, ...], list[int]] = {}
    for i, (pred, _) in enumerate(pairs):
        by_size.setdefault(pred.shape, []).append(i)
    out = []
    for indices in by_size.values():
        for start in range(0, len(indices), batch):
            chunk = indices[start:start + batch]
            pred = torch.stack([torch.from_numpy(pairs[i][0]).permute(2, 0, 1) for i in chunk]).float() / 255.0
            gt = torch.stack([torch.from_numpy(pairs[i][1]).permute(2, 0, 1) for i in chunk]).float() / 255.0
            out.append((pred, gt))
    return out


def ours(batches: list[tuple[torch.Tensor, torch.Tensor]], protocol: str) -> tuple[np.ndarray, np.ndarray]:
    from ..metrics import psnr, ssim

    p = [psnr(pred, gt, protocol) for pred, gt in batches]
    s = [ssim(pred, gt, protocol) for pred, gt in batches]
    return torch.cat(p).numpy(), torch.cat(s).numpy()


def skimage_loop(pairs: list[tuple[np.ndarray, np.ndarray]], protocol: str) -> tuple[np.ndarray, np.ndarray]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    p, s = [], []
    for pred, gt in pairs:
        if protocol == "basicsr":
            p.append(peak_signal_noise_ratio(gt, pred, data_range=255))
        else:
            p.append(peak_signal_noise_ratio(gt.astype(np.float64) / 255.0, pred.astype(np.float64) / 255.0,
                                             data_range=1.0))
        s.append(structural_similarity(gt, pred, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255, channel_axis=-1))
    return np.asarray(p, dtype=np.float64), np.asarray(s, dtype=np.float64)


def _order_like_batches(pairs: list, values: np.ndarray) -> np.ndarray:
    """Reorder per-pair values into the order :func:`_batches` scores the images in."""
    by_size: dict[tuple[int, ...], list[int]] = {}
    for i, (pred, _) in enumerate(pairs):
        by_size.setdefault(pred.shape, []).append(i)
    order = [i for indices in by_size.values() for i in indices]
    return values[order]


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    diff = np.where(both_inf, 0.0, np.abs(a - b))
    return float(diff.max()) if diff.size else 0.0


def measure_eval_speed(pairs: list[tuple[np.ndarray, np.ndarray]], protocol: str = "retinexformer", runs: int = 3,
                       warmup: int = 1, batch: int = 8, threads: int | None = 1) -> EvalSpeedResult:
    """Time both sides on ``pairs`` (``(pred, gt)`` 8-bit ``H×W×3`` arrays) and compare their values."""
    if protocol not in PROTOCOLS:
        raise DataError(f"llie bench eval: unknown protocol '{protocol}'; use one of {', '.join(PROTOCOLS)}")
    if not pairs:
        raise DataError("llie bench eval: no image pairs to score")
    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        batches = _batches(pairs, max(1, batch))
        timings = time_interleaved({"ours": lambda: ours(batches, protocol),
                                    "skimage": lambda: skimage_loop(pairs, protocol)}, runs=runs, warmup=warmup)
        our_psnr, our_ssim = ours(batches, protocol)
        used_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous_threads)
    ref_psnr, ref_ssim = skimage_loop(pairs, protocol)
    ref_psnr, ref_ssim = _order_like_batches(pairs, ref_psnr), _order_like_batches(pairs, ref_ssim)
    sizes = sorted({f"{p.shape[1]}x{p.shape[0]}" for p, _ in pairs})
    return EvalSpeedResult(len(pairs), ",".join(sizes), protocol, timings["ours"], timings["skimage"],
                           _max_diff(our_psnr, ref_psnr), _max_diff(our_ssim, ref_ssim), used_threads)
