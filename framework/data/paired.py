"""Paired low-light / ground-truth datasets: the base class every layout builds on, and a plain two-folder layout.

Item format (what the model's data preprocessor receives)::

    {'inputs': low 3×H×W float32 tensor in [0, 1],
     'data_samples': {'gt': high 3×H×W float32 tensor in [0, 1], 'name': str, 'low_path': str, 'high_path': str,
                      'source_key': str, 'source_size': int64 [H, W], 'crop_box': int64 [top, left, height, width],
                      'flip_h': int, 'flip_v': int, 'rot90_k': int}}

Where an item came from (what the prior-feature cache needs to reuse features of the full image for a crop):
``source_key`` names the full low-light image as read (path, plus the resize when one is set); ``source_size`` is
its size; ``crop_box`` is the crop in full-image pixels (the full image when not cropped); ``flip_h`` / ``flip_v`` /
``rot90_k`` are the flips and the counter-clockwise quarter turns applied after the crop, in that order. They are
read off a map of pixel coordinates that goes through the same transforms as the images, so they always describe
what was done; of the equivalent ways to write a flip/rotation the one with the fewest operations is reported. A
transform that is not a crop/flip/rotation makes ``crop_box`` ``[-1, -1, -1, -1]`` (geometry unknown).
:meth:`PairedImageDataset.full_low_images` yields every full low image once, without crop or augmentation.

Processing order per item: read both images (:func:`llie.data.io.read_image`; ``resize`` happens while reading,
in the file's own dtype) -> check both have the same size -> random crop (``crop_size``) -> flips and 90° rotations
(``augment``) -> tensors.

Reproducibility: each item's generator is seeded from ``(seed, index, torch.initial_seed(), draw counter)``.
``torch.initial_seed()`` differs per DataLoader worker and per epoch (the loader reseeds its workers from torch's
global generator, which a fixed experiment seed fixes), and the per-process draw counter makes repeated passes in the
main process (``num_workers=0``) see fresh crops. With a fixed seed and the same access order, runs repeat exactly.

Bad pairs: files are checked to exist when the pair list is built (a missing partner fails there, naming both paths);
decoding and size checks happen lazily when an item is loaded. With ``skip_bad_pairs=True`` a bad pair is logged as a
warning with both paths and skipped: at list-build time it is left out; at load time the item falls through to the
next valid index (wrapping around), and the bad index is remembered so it is not retried in this process. Evaluation
splits call :meth:`PairedImageDataset.drop_bad_pairs` instead, so no image is counted twice in a mean.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import ConfigError, DataError
from ..paths import resolve_data_path
from .io import image_size, is_image_file, read_image
from .transforms import PairedCompose, PairedFlip, PairedRandomCrop, PairedRotate90, PairedTransform

log = logging.getLogger(__name__)

PathLike = str | os.PathLike


@dataclass(frozen=True)
class ImagePair:
    """One low-light image, its ground truth, and the name outputs are saved under."""

    low: Path
    high: Path
    name: str


def as_image_pair(item: ImagePair | Sequence[Any]) -> ImagePair:
    """Accept an :class:`ImagePair`, ``(low, high)`` or ``(low, high, name)``; the name defaults to the low stem."""
    if isinstance(item, ImagePair):
        return item
    if isinstance(item, (str, bytes, os.PathLike)) or len(item) not in (2, 3):
        raise ConfigError(f"a pair must be (low_path, high_path) or (low_path, high_path, name); got {item!r}")
    low, high = Path(item[0]), Path(item[1])
    return ImagePair(low, high, str(item[2]) if len(item) == 3 else low.stem)


def natural_key(text: str) -> list[Any]:
    """Sort key that orders 'img2' before 'img10'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def image_files(folder: Path) -> list[Path]:
    """Image files directly inside ``folder`` (any suffix :func:`read_image` knows, case-insensitive), naturally
    sorted."""
    return sorted((p for p in folder.iterdir() if p.is_file() and is_image_file(p)), key=lambda p: natural_key(p.name))


def pair_folder_files(low_dir: Path, high_dir: Path, *, dataset: str,
                      key: Callable[[Path], str] = lambda p: p.stem.lower(),
                      skip_orphans: bool = False) -> list[ImagePair]:
    """Pair the images of two folders by ``key`` (default: case-insensitive stem).

    A file without a partner fails naming the file and the folder the partner was expected in (or is logged and left
    out with ``skip_orphans``); two files with the same key in one folder always fail.
    """
    low_by_key, high_by_key = _index_by_key(low_dir, key, dataset), _index_by_key(high_dir, key, dataset)
    orphans = [(f, high_dir, k) for k, f in low_by_key.items() if k not in high_by_key]
    orphans += [(f, low_dir, k) for k, f in high_by_key.items() if k not in low_by_key]
    for file, expected_in, k in orphans:
        message = f"{dataset}: {file} has no partner in {expected_in} (expected a file with pairing key '{k}')"
        if not skip_orphans:
            raise DataError(message)
        log.warning("%s; skipping it", message)
    keys = sorted(set(low_by_key) & set(high_by_key), key=natural_key)
    return [ImagePair(low_by_key[k], high_by_key[k], low_by_key[k].stem) for k in keys]


def _index_by_key(folder: Path, key: Callable[[Path], str], dataset: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for file in image_files(folder):
        k = key(file)
        if k in found:
            raise DataError(f"{dataset}: {found[k]} and {file} share the pairing key '{k}' in {folder}; keep one")
        found[k] = file
    return found


def find_child_dir(parent: Path, name: str) -> Path | None:
    """``parent/name`` if it is a folder, else a folder whose name matches case-insensitively, else None."""
    exact = parent / name
    if exact.is_dir():
        return exact
    if not parent.is_dir():
        return None
    for child in sorted(parent.iterdir()):
        if child.is_dir() and child.name.lower() == name.lower():
            return child
    return None


def find_dir(parent: Path, relative: str) -> Path | None:
    """Like :func:`find_child_dir` for a ``/``-separated relative path."""
    current: Path | None = parent
    for part in relative.split("/"):
        current = find_child_dir(current, part) if current is not None else None
    return current


def check_split(dataset: str, split: str) -> str:
    if split not in ("train", "test"):
        raise ConfigError(f"{dataset}: split must be 'train' or 'test', got {split!r}")
    return split


def require_root(dataset: str, root: PathLike | None, expected: str) -> Path:
    """The dataset root as a Path; a one-line DataError when it is not set or not a folder."""
    if root is None:
        raise ConfigError(f"{dataset}: 'root' is not set (expected layout: {expected})")
    path = resolve_data_path(root, what=f"{dataset}.root")
    if not path.is_dir():
        raise DataError(f"{dataset}: dataset root {path} does not exist or is not a folder "
                        f"(expected layout: {expected})")
    return path


#: ``crop_box`` of an item whose geometry could not be read off the coordinate map
UNKNOWN_BOX = (-1, -1, -1, -1)


@dataclass(frozen=True)
class CropGeometry:
    """Where a training item came from in its full image: crop window, then flips, then quarter turns."""

    box: tuple[int, int, int, int]  # top, left, height, width in full-image pixels
    flip_h: int = 0
    flip_v: int = 0
    rot90_k: int = 0

    @classmethod
    def full(cls, height: int, width: int) -> "CropGeometry":
        return cls((0, 0, int(height), int(width)))


def pixel_coordinates(height: int, width: int) -> np.ndarray:
    """``H×W×2`` float32 map of each pixel's (row, column); exact for sides below 2**24."""
    rows, cols = np.meshgrid(np.arange(height, dtype=np.float32), np.arange(width, dtype=np.float32), indexing="ij")
    return np.stack([rows, cols], axis=2)


def _apply_geometry(grid: np.ndarray, flip_h: int, flip_v: int, k: int) -> np.ndarray:
    if flip_h:
        grid = grid[:, ::-1]
    if flip_v:
        grid = grid[::-1]
    return np.rot90(grid, k, axes=(0, 1))


def _corners(grid: np.ndarray) -> np.ndarray:
    return np.stack([grid[0, 0], grid[0, -1], grid[-1, 0], grid[-1, -1]])


#: every (flip_h, flip_v, rot90_k), fewest operations first, so the simplest equivalent description wins
_GEOMETRIES = sorted(((h, v, k) for h in (0, 1) for v in (0, 1) for k in range(4)),
                     key=lambda g: (g[0] + g[1] + (g[2] > 0), g))


def geometry_from_coordinates(coords: np.ndarray) -> CropGeometry:
    """Read the crop window, flips and quarter turns off a transformed :func:`pixel_coordinates` map.

    The corners of the transformed map are the transformed 2×2 grid of the window's corners, so each candidate is
    checked on four points and the match is confirmed on the whole map.
    """
    rows, cols = coords[..., 0], coords[..., 1]
    top, left = int(rows.min()), int(cols.min())
    height, width = int(rows.max()) - top + 1, int(cols.max()) - left + 1
    if height * width != rows.size:
        return CropGeometry(UNKNOWN_BOX)
    window = pixel_coordinates(height, width) + np.array([top, left], dtype=np.float32)
    corner_grid = np.array([[window[0, 0], window[0, -1]], [window[-1, 0], window[-1, -1]]])
    observed = _corners(coords)
    for flip_h, flip_v, k in _GEOMETRIES:
        if np.array_equal(_corners(_apply_geometry(corner_grid, flip_h, flip_v, k)), observed) and \
                np.array_equal(_apply_geometry(window, flip_h, flip_v, k), coords):
            return CropGeometry((top, left, height, width), flip_h, flip_v, k)
    return CropGeometry(UNKNOWN_BOX)


def item_generator(seed: int, index: int, draw: int) -> np.random.Generator:
    """The generator of one load of item ``index`` (see the module docstring: seed, index, the process's torch seed,
    and a per-process draw counter)."""
    return np.random.default_rng([seed, index, torch.initial_seed(), draw])


def transform_tracked(transform: PairedTransform, low: np.ndarray, high: np.ndarray | None,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None, CropGeometry]:
    """Apply a paired transform to ``low`` (and ``high``, when there is one) and say what it did to the geometry.

    A map of pixel coordinates rides along with the second image through the same random geometry, so where the crop
    came from is read off the result rather than re-derived from the random draws. Unpaired images (``high`` None)
    get exactly the crops and flips a paired item would.
    """
    full_h, full_w = low.shape[:2]
    coords = pixel_coordinates(full_h, full_w)
    channels = 0 if high is None else high.shape[2]
    stacked = coords if high is None else np.concatenate([high, coords.astype(high.dtype, copy=False)], axis=2)
    low, stacked = transform(low, stacked, rng)
    geometry = geometry_from_coordinates(stacked[..., channels:])
    return low, (None if high is None else stacked[..., :channels]), geometry


def build_transform(crop_size: int | None, augment: bool) -> PairedTransform | None:
    """Random crop (``crop_size``), then flips and 90° rotations (``augment``); None when neither is asked."""
    steps: list[PairedTransform] = []
    if crop_size is not None:
        steps.append(PairedRandomCrop(crop_size))
    if augment:
        steps += [PairedFlip(), PairedRotate90()]
    return PairedCompose(steps) if steps else None


def to_chw_tensor(array: np.ndarray) -> torch.Tensor:
    """``H×W×3`` float array (any strides) -> contiguous ``3×H×W`` float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.transpose(array, (2, 0, 1)), dtype=np.float32))


def screen_loadable(items: Sequence[Any], load: Callable[[Any], Any], skipping: str,
                    describe: Callable[[Any], str], none_left: str) -> tuple[list, list]:
    """``(kept, dropped)``: every item loaded once; a :class:`DataError` drops it with a warning
    ``"<skipping> <describe(item)>: <error>"``; fails with ``"<none_left> (each was logged as a warning)"`` when no
    item is left. Datasets screen their files with it before evaluation (a skipped item must not be replaced by a
    neighbour that would then be counted twice)."""
    kept, dropped = [], []
    for item in items:
        try:
            load(item)
        except DataError as exc:
            log.warning("%s %s: %s", skipping, describe(item), exc)
            dropped.append(item)
        else:
            kept.append(item)
    if not kept:
        raise DataError(f"{none_left} (each was logged as a warning)")
    return kept, dropped


class PairedImageDataset(Dataset):
    """Aligned (low, high) image pairs as tensors, with optional crop, augmentation, resize and repetition.

    pairs: ``(low_path, high_path[, name])`` items (subclasses build them from a layout).
    crop_size: side of a random square crop; None keeps the full image.
    augment: random horizontal/vertical flips and 90° rotations, identical for both images.
    repeat: virtual length multiplier (an epoch over a short dataset visits each pair ``repeat`` times).
    resize: ``(W, H)`` both images are resized to while reading (bilinear, as the SID/SMID protocols do).
    max_images: keep only the first N pairs (in sorted order) — for quick runs.
    skip_bad_pairs: log and skip unusable pairs instead of failing (see the module docstring).
    seed: base seed of the per-item random generators.
    root: the dataset root, for messages and ``metainfo``.
    """

    #: channel order of ``.npy`` files for this dataset ('rgb' or 'bgr'); SID/SMID set 'bgr'
    npy_channel_order: str = "rgb"

    def __init__(self, pairs: Iterable[ImagePair | Sequence[Any]], *, crop_size: int | None = None,
                 augment: bool = False, repeat: int = 1, resize: Sequence[int] | None = None,
                 max_images: int | None = None, skip_bad_pairs: bool = False, seed: int = 0,
                 root: PathLike | None = None) -> None:
        super().__init__()
        self.root = None if root is None else Path(root)
        self.crop_size = self._positive_or_none("crop_size", crop_size)
        self.max_images = self._positive_or_none("max_images", max_images)
        if not isinstance(repeat, int) or repeat < 1:
            raise ConfigError(f"{self.dataset_name}: repeat must be an integer ≥ 1, got {repeat!r}")
        self.repeat = repeat
        self.resize = self._check_resize(resize)
        self.augment = bool(augment)
        self.skip_bad_pairs = bool(skip_bad_pairs)
        self.seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self.transform = self._build_transform()
        self._bad: set[int] = set()
        self._draws = 0
        self.dropped_pairs: list[ImagePair] = []  # removed by drop_bad_pairs

        entries = self.validate_pairs([as_image_pair(p) for p in pairs])
        if not entries:
            where = str(self.root) if self.root is not None else "(an explicit, empty pair list)"
            raise DataError(f"{self.dataset_name}: no image pairs found under {where}")
        self.pairs: list[ImagePair] = entries[: self.max_images] if self.max_images else entries

    # --- construction helpers ----------------------------------------------------------------------------------

    @property
    def dataset_name(self) -> str:
        return type(self).__name__

    def _positive_or_none(self, option: str, value: int | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{self.dataset_name}: {option} must be a positive integer or null, got {value!r}")
        return value

    def _check_resize(self, resize: Sequence[int] | None) -> tuple[int, int] | None:
        if resize is None:
            return None
        try:
            w, h = (int(v) for v in resize)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.dataset_name}: resize must be [width, height] or null, got {resize!r}") from None
        if w < 1 or h < 1:
            raise ConfigError(f"{self.dataset_name}: resize must be positive, got {resize!r}")
        return w, h

    def _build_transform(self) -> PairedTransform | None:
        return build_transform(self.crop_size, self.augment)

    def validate_pairs(self, pairs: list[ImagePair]) -> list[ImagePair]:
        """Keep pairs whose two files exist; a missing file fails naming both paths (or is skipped with a
        warning under ``skip_bad_pairs``)."""
        kept = []
        for pair in pairs:
            missing = [p for p in (pair.low, pair.high) if not p.is_file()]
            if not missing:
                kept.append(pair)
                continue
            message = (f"{self.dataset_name}: pair ({pair.low}, {pair.high}) is incomplete: "
                       f"{' and '.join(str(m) for m in missing)} not found")
            if not self.skip_bad_pairs:
                raise DataError(message)
            log.warning("%s; skipping the pair", message)
        return kept

    # --- loading -----------------------------------------------------------------------------------------------

    def load_pair(self, pair: ImagePair) -> tuple[np.ndarray, np.ndarray]:
        """Both images as ``H×W×3`` float arrays of equal size (resized when ``resize`` is set)."""
        if self.resize is not None:  # compare native sizes first: the resize would hide a mismatch
            self._check_same_size(pair, image_size(pair.low), image_size(pair.high))
        low = read_image(pair.low, size=self.resize, npy_channel_order=self.npy_channel_order)
        high = read_image(pair.high, size=self.resize, npy_channel_order=self.npy_channel_order)
        self._check_same_size(pair, (low.shape[1], low.shape[0]), (high.shape[1], high.shape[0]))
        return low, high

    @staticmethod
    def _check_same_size(pair: ImagePair, low_wh: tuple[int, int], high_wh: tuple[int, int]) -> None:
        if tuple(low_wh) != tuple(high_wh):
            raise DataError(f"size mismatch in pair: {pair.low} is {low_wh[0]}×{low_wh[1]} but {pair.high} is "
                            f"{high_wh[0]}×{high_wh[1]} (W×H)")

    def drop_bad_pairs(self) -> list[ImagePair]:
        """Load every pair once and remove the unusable ones (each logged with both paths); returns them.

        For evaluation under ``skip_bad_pairs``: falling through to the next index (what loading does) suits
        training, but would count a neighbour twice in a metric mean. Fails like loading does when nothing is left.
        """
        kept, dropped = screen_loadable(self.pairs, self.load_pair, f"{self.dataset_name}: skipping bad pair",
                                        lambda pair: f"({pair.low}, {pair.high})",
                                        f"{self.dataset_name}: none of the {len(self.pairs)} pairs under {self.root} "
                                        f"could be loaded")
        self.pairs, self._bad = kept, set()
        self.dropped_pairs += dropped
        return dropped

    def rng_for(self, index: int) -> np.random.Generator:
        """The generator for one draw of item ``index`` (see the module docstring)."""
        self._draws += 1
        return item_generator(self.seed, index, self._draws)

    def source_key(self, pair: ImagePair) -> str:
        """A string naming the full low-light image of ``pair`` as this dataset reads it."""
        if self.resize is None:
            return str(pair.low)
        return f"{pair.low}@resize={self.resize[0]}x{self.resize[1]}"

    def load_low(self, pair: ImagePair) -> np.ndarray:
        """The full low-light image of ``pair`` (``H×W×3`` float, resized when ``resize`` is set)."""
        return read_image(pair.low, size=self.resize, npy_channel_order=self.npy_channel_order)

    def full_low_images(self) -> Iterator[tuple[str, torch.Tensor]]:
        """``(source_key, 3×H×W low tensor)`` for every pair once: no crop, no augmentation, no repetition.

        Unreadable images fail as loading does (or are logged and skipped under ``skip_bad_pairs``).
        """
        for position, pair in enumerate(self.pairs):
            if position in self._bad:
                continue
            try:
                low = self.load_low(pair)
            except DataError as exc:
                if not self.skip_bad_pairs:
                    raise
                self._bad.add(position)
                log.warning("%s: skipping bad pair (%s, %s): %s", self.dataset_name, pair.low, pair.high, exc)
                continue
            yield self.source_key(pair), to_chw_tensor(low)

    def _make_item(self, position: int, index: int) -> dict[str, Any]:
        pair = self.pairs[position]
        low, high = self.load_pair(pair)
        full_h, full_w = low.shape[:2]
        geometry = CropGeometry.full(full_h, full_w)
        if self.transform is not None:
            try:
                low, high, geometry = transform_tracked(self.transform, low, high, self.rng_for(index))
            except DataError as exc:
                raise DataError(f"{exc} — in pair ({pair.low}, {pair.high})") from exc
        return {"inputs": to_chw_tensor(low),
                "data_samples": {"gt": to_chw_tensor(high), "name": pair.name,
                                 "low_path": str(pair.low), "high_path": str(pair.high),
                                 "source_key": self.source_key(pair),
                                 "source_size": torch.tensor([full_h, full_w], dtype=torch.int64),
                                 "crop_box": torch.tensor(geometry.box, dtype=torch.int64),
                                 "flip_h": geometry.flip_h, "flip_v": geometry.flip_v, "rot90_k": geometry.rot90_k}}

    def __len__(self) -> int:
        return len(self.pairs) * self.repeat

    def __getitem__(self, index: int) -> dict[str, Any]:
        total = len(self)
        if index < 0:
            index += total
        if not 0 <= index < total:
            raise IndexError(f"{self.dataset_name}: index {index} out of range for {total} items")
        count = len(self.pairs)
        start = index % count
        for step in range(count):
            position = (start + step) % count
            if position in self._bad:
                continue
            try:
                return self._make_item(position, index)
            except DataError as exc:
                if not self.skip_bad_pairs:
                    raise
                self._bad.add(position)
                pair = self.pairs[position]
                log.warning("%s: skipping bad pair (%s, %s): %s", self.dataset_name, pair.low, pair.high, exc)
        raise DataError(f"{self.dataset_name}: none of the {count} pairs under {self.root} could be loaded "
                        f"(each was logged as a warning)")

    # --- description -------------------------------------------------------------------------------------------

    @property
    def metainfo(self) -> dict[str, Any]:
        """What mmengine hands evaluators as ``dataset_meta``."""
        return {"dataset": self.dataset_name, "root": None if self.root is None else str(self.root),
                "split": getattr(self, "split", None), "num_pairs": len(self.pairs)}

    def __repr__(self) -> str:
        return (f"{self.dataset_name}(pairs={len(self.pairs)}, root={self.root}, crop_size={self.crop_size}, "
                f"augment={self.augment}, repeat={self.repeat}, resize={self.resize})")


class PairedFolder(PairedImageDataset):
    """Two folders of aligned images paired by file stem (any image suffix, case-insensitive).

    Give ``root`` (uses ``root/low`` and ``root/high``), or ``low_dir`` and ``high_dir`` (relative ones are taken
    under ``root`` when it is given). Other options: see :class:`PairedImageDataset`.
    """

    def __init__(self, low_dir: PathLike | None = None, high_dir: PathLike | None = None,
                 root: PathLike | None = None, **options: Any) -> None:
        expected = "root/low + root/high, or explicit low_dir and high_dir"
        if root is None and (low_dir is None or high_dir is None):
            raise ConfigError(f"PairedFolder needs 'root' or both 'low_dir' and 'high_dir' (expected: {expected})")
        base = None if root is None else require_root("PairedFolder", root, expected)
        folders = []
        for role, given in (("low", low_dir), ("high", high_dir)):
            if given is None:
                folder = base / role
            else:  # a relative low_dir/high_dir is taken under root when one is given
                folder = resolve_data_path(given, what=f"PairedFolder.{role}_dir")
                if base is not None and not folder.is_absolute():
                    folder = base / folder
            if not folder.is_dir():
                raise DataError(f"PairedFolder: {role} folder {folder} does not exist (expected: {expected})")
            folders.append(folder)
        self.low_dir, self.high_dir = folders
        self.skip_bad_pairs = bool(options.get("skip_bad_pairs", False))
        pairs = pair_folder_files(self.low_dir, self.high_dir, dataset="PairedFolder",
                                  skip_orphans=self.skip_bad_pairs)
        super().__init__(pairs, root=base if base is not None else self.low_dir.parent, **options)
