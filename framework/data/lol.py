"""The LOL benchmarks in their published folder layouts (as used by Retinexformer and SNR-Aware).

* ``LOLv1``: ``root/{Train,Test}/{input,target}/*.png``, or the original release ``root/{our485,eval15}/{low,high}``.
  485 train / 15 test pairs, 600×400. Paired by file stem.
* ``LOLv2Real``: ``root/Real_captured/{Train,Test}/{Low,Normal}`` (689 / 100). Names differ in prefix
  (``low00001.png`` ↔ ``normal00001.png``), so pairs are matched by the number in the name. ``root`` may be the LOLv2
  folder or ``Real_captured`` itself.
* ``LOLv2Synthetic``: ``root/Synthetic/{Train,Test}/{Low,Normal}`` (900 / 100), same file names on both sides.
  ``root`` may be the LOLv2 folder or ``Synthetic`` itself.

Folder names are matched case-insensitively. Options beyond ``root`` and ``split``: see
:class:`llie.data.paired.PairedImageDataset`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import DataError
from .paired import PairedImageDataset, PathLike, check_split, find_dir, pair_folder_files, require_root

_SPLIT_FOLDER = {"train": "Train", "test": "Test"}


def _first_layout(base: Path, candidates: list[tuple[str, str]]) -> tuple[Path, Path] | None:
    for low_rel, high_rel in candidates:
        low, high = find_dir(base, low_rel), find_dir(base, high_rel)
        if low is not None and high is not None:
            return low, high
    return None


class LOLv1(PairedImageDataset):
    """LOL (v1): 485 training and 15 test pairs of 600×400 PNGs."""

    LAYOUTS = {"train": [("Train/input", "Train/target"), ("our485/low", "our485/high")],
               "test": [("Test/input", "Test/target"), ("eval15/low", "eval15/high")]}

    def __init__(self, root: PathLike, split: str = "train", **options: Any) -> None:
        self.split = check_split("LOLv1", split)
        expected = " or ".join(f"root/{a} + root/{b}" for a, b in self.LAYOUTS[split])
        base = require_root("LOLv1", root, expected)
        found = _first_layout(base, self.LAYOUTS[split])
        if found is None:
            raise DataError(f"LOLv1: no {split} folders under {base} (expected {expected})")
        pairs = pair_folder_files(*found, dataset="LOLv1", skip_orphans=options.get("skip_bad_pairs", False))
        super().__init__(pairs, root=base, **options)


def _lolv2_split_dirs(dataset: str, root: PathLike, subset: str, split: str) -> tuple[Path, Path, Path]:
    """(base, low_dir, high_dir) for ``root`` being the LOLv2 folder or its ``subset`` folder."""
    folder = _SPLIT_FOLDER[split]
    expected = f"root/{subset}/{folder}/Low + root/{subset}/{folder}/Normal (root = the LOLv2 folder or {subset})"
    base = require_root(dataset, root, expected)
    for candidate in (find_dir(base, subset), base):
        if candidate is None:
            continue
        found = _first_layout(candidate, [(f"{folder}/Low", f"{folder}/Normal")])
        if found is not None:
            return base, *found
    raise DataError(f"{dataset}: no {split} folders under {base} (expected {expected})")


def number_in_name(path: Path) -> str:
    """The last run of digits in a file stem, without leading zeros ('low00001' -> '1')."""
    digits = re.findall(r"\d+", path.stem)
    if not digits:
        raise DataError(f"LOLv2Real: cannot pair {path}: its name has no number (expected e.g. low00001.png)")
    return str(int(digits[-1]))


class LOLv2Real(PairedImageDataset):
    """LOL-v2 real captured: 689 training and 100 test pairs, paired by the number in the file name."""

    def __init__(self, root: PathLike, split: str = "train", **options: Any) -> None:
        self.split = check_split("LOLv2Real", split)
        base, low_dir, high_dir = _lolv2_split_dirs("LOLv2Real", root, "Real_captured", split)
        pairs = pair_folder_files(low_dir, high_dir, dataset="LOLv2Real", key=number_in_name,
                                  skip_orphans=options.get("skip_bad_pairs", False))
        super().__init__(pairs, root=base, **options)


class LOLv2Synthetic(PairedImageDataset):
    """LOL-v2 synthetic: 900 training and 100 test pairs with identical file names on both sides."""

    def __init__(self, root: PathLike, split: str = "train", **options: Any) -> None:
        self.split = check_split("LOLv2Synthetic", split)
        base, low_dir, high_dir = _lolv2_split_dirs("LOLv2Synthetic", root, "Synthetic", split)
        pairs = pair_folder_files(low_dir, high_dir, dataset="LOLv2Synthetic",
                                  skip_orphans=options.get("skip_bad_pairs", False))
        super().__init__(pairs, root=base, **options)
