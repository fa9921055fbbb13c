"""Tiny on-disk copies of each published layout, for tests, demos and checking a pipeline end to end.

``write_layout(kind, root)`` fills ``root`` with a few small pairs in the folder layout of ``kind`` (one of
:data:`LAYOUTS`): 3 training and 2 test pairs (PairedFolder: 3 pairs; UnpairedFolder: 3 low images, no ground
truth), ``W×H = 32×24`` by default.
Ground truths are smooth random images with R > G > B at every pixel; each low image is the ground truth at a fifth
of its brightness plus a little noise, so "low is darker than high" holds. SID/SMID arrays are uint8 BGR like the
published numpy releases.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .io import write_image

#: Layout kinds and the dataset class that reads each.
LAYOUTS: dict[str, str] = {
    "paired_folder": "PairedFolder",
    "lolv1": "LOLv1",
    "lolv1_original": "LOLv1",
    "lolv2_real": "LOLv2Real",
    "lolv2_synthetic": "LOLv2Synthetic",
    "sid": "SID",
    "smid": "SMID",
    "unpaired_folder": "UnpairedFolder",
}

TRAIN_PAIRS, TEST_PAIRS = 3, 2


def fixture_pair(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) ``H×W×3`` float arrays for ``size = (W, H)``; in ``high`` every pixel has R > G > B."""
    import cv2

    coarse = rng.uniform(0.2, 0.9, size=(3, 3, 3)).astype(np.float32)
    high = cv2.resize(coarse, tuple(size), interpolation=cv2.INTER_LINEAR)
    high = np.array([0.6, 0.35, 0.1]) + 0.3 * high  # red > green > blue everywhere: shows swapped channels
    low = np.clip(0.2 * high + rng.normal(0, 0.01, high.shape), 0, 1)
    return low.astype(np.float32), high.astype(np.float32)


def _png_pairs(low_dir: Path, high_dir: Path, names: list[tuple[str, str]], rng: np.random.Generator,
               size: tuple[int, int]) -> None:
    for low_name, high_name in names:
        low, high = fixture_pair(rng, size)
        write_image(low_dir / low_name, low)
        write_image(high_dir / high_name, high)


def _save_bgr_npy(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.round(img[..., ::-1] * 255).astype(np.uint8))


def _scene_layout(root: Path, short: str, long: str, scenes: dict[str, int], rng: np.random.Generator,
                  size: tuple[int, int]) -> None:
    for scene, shots in scenes.items():
        _, high = fixture_pair(rng, size)
        _save_bgr_npy(root / long / scene / f"{scene}_long.npy", high)
        for shot in range(shots):
            low, _ = fixture_pair(rng, size)
            _save_bgr_npy(root / short / scene / f"{scene}_short_{shot}.npy", np.clip(0.2 * high + low * 0.05, 0, 1))


def write_layout(kind: str, root: str | os.PathLike, *, size: tuple[int, int] = (32, 24), seed: int = 0) -> Path:
    """Write the fixture tree of ``kind`` under ``root`` and return ``root``."""
    if kind not in LAYOUTS:
        raise ValueError(f"unknown fixture layout '{kind}'; known: {', '.join(LAYOUTS)}")
    root = Path(root)
    rng = np.random.default_rng(seed)
    numbered = [f"{i}.png" for i in range(1, TRAIN_PAIRS + TEST_PAIRS + 1)]
    train, test = numbered[:TRAIN_PAIRS], numbered[TRAIN_PAIRS:]
    if kind == "paired_folder":
        _png_pairs(root / "low", root / "high", [(n, n) for n in train], rng, size)
    elif kind == "lolv1":
        for split, names in (("Train", train), ("Test", test)):
            _png_pairs(root / split / "input", root / split / "target", [(n, n) for n in names], rng, size)
    elif kind == "lolv1_original":
        for split, names in (("our485", train), ("eval15", test)):
            _png_pairs(root / split / "low", root / split / "high", [(n, n) for n in names], rng, size)
    elif kind == "lolv2_real":
        for split, first in (("Train", 1), ("Test", 690)):
            count = TRAIN_PAIRS if split == "Train" else TEST_PAIRS
            names = [(f"low{i:05d}.png", f"normal{i:05d}.png") for i in range(first, first + count)]
            base = root / "Real_captured" / split
            _png_pairs(base / "Low", base / "Normal", names, rng, size)
    elif kind == "lolv2_synthetic":
        for split, names in (("Train", ["r000da7f7t.png", "r01234abct.png", "r0a1b2c3dt.png"]),
                             ("Test", ["r13073518t.png", "r15bd64bdt.png"])):
            base = root / "Synthetic" / split
            _png_pairs(base / "Low", base / "Normal", [(n, n) for n in names], rng, size)
    elif kind == "sid":
        _scene_layout(root, "short_sid2", "long_sid2", {"00001": 2, "20002": 1, "10003": 2}, rng, size)
    elif kind == "smid":
        _scene_layout(root, "SMID_LQ_np", "SMID_Long_np", {"0001": 2, "0002": 1, "0003": 2}, rng, size)
        # the release also keeps half-size ground truths next to the full one; they must be ignored
        _save_bgr_npy(root / "SMID_Long_np" / "0003" / "0003_half.npy", np.zeros((size[1] // 2, size[0] // 2, 3)))
        (root / "test_list.txt").write_text("0003\n")
    elif kind == "unpaired_folder":
        for name in train:
            write_image(root / name, fixture_pair(rng, size)[0])
    return root
