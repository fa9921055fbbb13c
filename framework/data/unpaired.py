"""Unpaired sets: a folder of low-light images without ground truth (DICM, LIME, MEF, NPE, VV), scored with
no-reference metrics.

Item format (what the model's predict path takes; no ``gt``)::

    {'inputs': low 3×H×W float32 tensor in [0, 1],
     'data_samples': {'name': str, 'low_path': str, 'source_key': str, 'source_size': int64 [H, W],
                      'crop_box': int64 [0, 0, H, W], 'flip_h': 0, 'flip_v': 0, 'rot90_k': 0}}

Images go through :func:`llie.data.io.read_image` like paired data (the same conversions and the same one-line
errors naming the file). For evaluation they are read whole; for training (unpaired or self-supervised terms, e.g. as
a source of :class:`llie.data.mixed.MixedSources`) ``crop_size``, ``augment``, ``repeat`` and ``seed`` work as in
:class:`llie.data.paired.PairedImageDataset` — the same transforms and per-item generators, and ``crop_box`` /
flips / ``rot90_k`` describe the crop. The folder is listed once (its image files,
any suffix :func:`read_image` knows, case-insensitive, naturally sorted; other files are ignored); two files with
the same stem would give two results of one name and fail. An unreadable image fails when it is loaded, naming the
file — or, with ``skip_bad_images``, :meth:`UnpairedFolder.drop_bad_images` (which evaluation calls) logs it and
leaves it out.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from ..errors import ConfigError, DataError
from .io import IMAGE_SUFFIXES, read_image
from .paired import (CropGeometry, PathLike, build_transform, image_files, item_generator, require_root,
                     screen_loadable, to_chw_tensor, transform_tracked)


class UnpairedFolder(Dataset):
    """The images directly inside ``root``, each an item without ground truth.

    max_images: keep only the first N images (in sorted order) — for quick runs.
    skip_bad_images: let :meth:`drop_bad_images` leave unreadable images out (each logged) instead of failing.
    crop_size, augment, repeat, seed: for training, as in :class:`llie.data.paired.PairedImageDataset` (random square
    crop, flips and quarter turns, virtual length multiplier, base seed of the per-item generators).
    """

    #: evaluation uses no-reference metrics on datasets that say so
    has_ground_truth = False

    def __init__(self, root: PathLike | None = None, max_images: int | None = None,
                 skip_bad_images: bool = False, crop_size: int | None = None, augment: bool = False,
                 repeat: int = 1, seed: int = 0) -> None:
        super().__init__()
        self.root = require_root(self.dataset_name, root, "a folder of images")
        for option, value in (("max_images", max_images), ("crop_size", crop_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{self.dataset_name}: {option} must be a positive integer or null, got {value!r}")
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise ConfigError(f"{self.dataset_name}: repeat must be an integer ≥ 1, got {repeat!r}")
        self.skip_bad_images = bool(skip_bad_images)
        self.crop_size, self.augment, self.repeat = crop_size, bool(augment), repeat
        self.seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self.transform = build_transform(crop_size, self.augment)
        self._draws = 0
        files = self._unique_names(image_files(self.root))
        if not files:
            raise DataError(f"{self.dataset_name}: no image files in {self.root} (expected files ending in "
                            f"{', '.join(sorted(IMAGE_SUFFIXES))})")
        self.files: list[Path] = files[:max_images] if max_images else files
        self.dropped_images: list[Path] = []  # removed by drop_bad_images

    @property
    def dataset_name(self) -> str:
        return type(self).__name__

    def _unique_names(self, files: list[Path]) -> list[Path]:
        seen: dict[str, Path] = {}
        for file in files:
            key = file.stem.lower()
            if key in seen:
                raise DataError(f"{self.dataset_name}: {seen[key]} and {file} share the name '{file.stem}' in "
                                f"{self.root}; results are keyed by name, keep one")
            seen[key] = file
        return list(seen.values())

    def load(self, path: Path) -> torch.Tensor:
        """One image as a ``3×H×W`` float32 tensor in [0, 1]."""
        return to_chw_tensor(read_image(path))

    def drop_bad_images(self) -> list[Path]:
        """Under ``skip_bad_images``: read every image once and leave out the unreadable ones (each logged with its
        path); returns them. Without it, the first unreadable image fails naming its path. Fails when none is left."""
        if not self.skip_bad_images:
            for path in self.files:
                read_image(path)
            return []
        kept, dropped = screen_loadable(self.files, read_image, f"{self.dataset_name}: skipping unreadable image", str,
                                        f"{self.dataset_name}: none of the {len(self.files)} images in {self.root} "
                                        f"could be read")
        self.files = kept
        self.dropped_images += dropped
        return dropped

    def full_low_images(self) -> Iterator[tuple[str, torch.Tensor]]:
        """``(source_key, 3×H×W)`` of every image once (what a prior-feature cache precomputes)."""
        for path in self.files:
            yield str(path), self.load(path)

    def __len__(self) -> int:
        return len(self.files) * self.repeat

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.dataset_name}: index {index} out of range for {len(self)} images")
        index %= len(self)
        path = self.files[index % len(self.files)]
        image = read_image(path)
        height, width = image.shape[:2]
        geometry = CropGeometry.full(height, width)
        if self.transform is not None:
            self._draws += 1
            try:
                image, _, geometry = transform_tracked(self.transform, image, None,
                                                       item_generator(self.seed, index, self._draws))
            except DataError as exc:
                raise DataError(f"{exc} — in image {path}") from exc
        return {"inputs": to_chw_tensor(image),
                "data_samples": {"name": path.stem, "low_path": str(path), "source_key": str(path),
                                 "source_size": torch.tensor([height, width], dtype=torch.int64),
                                 "crop_box": torch.tensor(geometry.box, dtype=torch.int64),
                                 "flip_h": geometry.flip_h, "flip_v": geometry.flip_v, "rot90_k": geometry.rot90_k}}

    @property
    def metainfo(self) -> dict[str, Any]:
        """What mmengine hands evaluators as ``dataset_meta``."""
        return {"dataset": self.dataset_name, "root": str(self.root), "num_images": len(self.files)}

    def __repr__(self) -> str:
        return f"{self.dataset_name}(images={len(self.files)}, root={self.root})"
