"""SID and SMID in the numpy releases of SNR-Aware (also used by Retinexformer): one folder per scene.

* ``SID`` (Sony subset): ``root/short_sid2/<scene>/*.npy`` (short exposures) and ``root/long_sid2/<scene>/*.npy``
  (the scene's long-exposure ground truth). Scenes whose folder name starts with ``0`` or ``2`` are train, ``1`` test
  (2099 / 598 pairs).
* ``SMID``: ``root/SMID_LQ_np/<scene>/*.npy`` and ``root/SMID_Long_np/<scene>/*.npy``; the scene ids listed one per
  line in ``root/test_list.txt`` are test, all others train.

Every short exposure of a scene pairs with that scene's single ground truth. As in the published loaders, files with
``half`` in their name (and non-image files such as ``.ARW``) in the long folder are ignored, and if several remain,
the first in sorted order is the ground truth.

Conventions carried over from those loaders so published numbers stay comparable:

* the arrays hold **BGR** (they were written by OpenCV); ``channel_order='bgr'`` (default) turns them into RGB;
* the published recipe resizes both images to **960×512** (``cv2.resize`` bilinear on the raw uint8 array) for
  training *and* testing: SNR-Aware's ``options/{train,test}/SID.yml`` / ``SMID.yml`` and Retinexformer's
  ``Options/RetinexFormer_{SID,SMID}.yml`` set ``train_size: [960, 512]`` on both the train and the val set, and
  their loaders (``read_img_seq2(path, train_size)``) resize every split; training patches (256²) are then cropped
  from the resized images. ``resize='auto'`` (default) does exactly that for every split; pass ``null`` to keep the
  arrays' full size, or ``[W, H]`` for another size.

Item names are the file stem, prefixed with ``<scene>_`` unless it already starts with the scene id.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from .paired import (ImagePair, PairedImageDataset, PathLike, check_split, find_child_dir, image_files,
                     natural_key, require_root)

log = logging.getLogger(__name__)

#: The size the published SID/SMID recipe resizes every image to (train and test), ``(W, H)``.
PUBLISHED_SIZE = (960, 512)


def resolve_resize(dataset: str, resize: Any, split: str) -> tuple[int, int] | None:
    """``'auto'`` -> the published 960×512 (train and test alike); anything else passes through."""
    if isinstance(resize, str):
        if resize != "auto":
            raise ConfigError(f"{dataset}: resize must be 'auto', [width, height] or null, got {resize!r}")
        return PUBLISHED_SIZE
    return resize


def ground_truth_of(dataset: str, long_scene: Path, short_scene: Path) -> Path:
    """The one ground-truth image of a scene (see the module docstring for the rule)."""
    candidates = [p for p in image_files(long_scene) if "half" not in p.name.lower()]
    if not candidates:
        raise DataError(f"{dataset}: {long_scene} holds no ground-truth image for the short exposures in "
                        f"{short_scene}")
    if len(candidates) > 1:
        log.debug("%s: %d candidate ground truths in %s; using %s", dataset, len(candidates), long_scene,
                  candidates[0].name)
    return candidates[0]


def scene_pairs(dataset: str, short_root: Path, long_root: Path, scenes: list[str],
                skip_orphans: bool = False) -> list[ImagePair]:
    """Every short exposure of each scene paired with the scene's ground truth."""
    pairs: list[ImagePair] = []
    for scene in sorted(scenes, key=natural_key):
        short_scene = short_root / scene
        long_scene = find_child_dir(long_root, scene)
        try:
            if long_scene is None:
                raise DataError(f"{dataset}: scene folder {short_scene} has no partner: expected "
                                f"{long_root / scene} with the scene's ground truth")
            gt = ground_truth_of(dataset, long_scene, short_scene)
        except DataError as exc:
            if not skip_orphans:
                raise
            log.warning("%s; skipping the scene", exc)
            continue
        pairs += [ImagePair(short, gt, item_name(scene, short)) for short in image_files(short_scene)]
    return pairs


def item_name(scene: str, short: Path) -> str:
    """The file stem when it already starts with the scene id, else ``<scene>_<stem>`` (stems may repeat across
    scenes)."""
    return short.stem if short.stem.startswith(scene) else f"{scene}_{short.stem}"


def scene_folders(folder: Path) -> list[str]:
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=natural_key)


class _SceneDataset(PairedImageDataset):
    """Shared construction of the two scene-folder datasets."""

    SHORT, LONG = "", ""

    def _locate(self, root: PathLike, expected: str) -> tuple[Path, Path, Path]:
        name = type(self).__name__
        base = require_root(name, root, expected)
        short_root, long_root = find_child_dir(base, self.SHORT), find_child_dir(base, self.LONG)
        if short_root is None or long_root is None:
            raise DataError(f"{name}: no {self.SHORT} and {self.LONG} folders under {base} (expected {expected})")
        return base, short_root, long_root

    def _finish(self, base: Path, short_root: Path, long_root: Path, scenes: list[str], resize: Any,
                channel_order: str, options: dict[str, Any]) -> None:
        name = type(self).__name__
        if channel_order not in ("rgb", "bgr"):
            raise ConfigError(f"{name}: channel_order must be 'bgr' (the published arrays) or 'rgb', "
                              f"got {channel_order!r}")
        self.npy_channel_order = channel_order
        pairs = scene_pairs(name, short_root, long_root, scenes, options.get("skip_bad_pairs", False))
        super().__init__(pairs, root=base, resize=resolve_resize(name, resize, self.split), **options)


class SID(_SceneDataset):
    """SID (Sony) numpy release: scenes 0xxxx/2xxxx train, 1xxxx test; one ground truth per scene."""

    SHORT, LONG = "short_sid2", "long_sid2"
    EXPECTED = "root/short_sid2/<scene>/*.npy + root/long_sid2/<scene>/*.npy"

    def __init__(self, root: PathLike, split: str = "train", resize: Any = "auto", channel_order: str = "bgr",
                 **options: Any) -> None:
        self.split = check_split("SID", split)
        base, short_root, long_root = self._locate(root, self.EXPECTED)
        prefixes = ("0", "2") if split == "train" else ("1",)
        scenes = [s for s in scene_folders(short_root) if s.startswith(prefixes)]
        self._finish(base, short_root, long_root, scenes, resize, channel_order, options)


class SMID(_SceneDataset):
    """SMID numpy release: the scenes in ``test_list.txt`` are test, all others train."""

    SHORT, LONG = "SMID_LQ_np", "SMID_Long_np"
    EXPECTED = "root/SMID_LQ_np/<scene>/*.npy + root/SMID_Long_np/<scene>/*.npy + root/test_list.txt"

    def __init__(self, root: PathLike, split: str = "train", resize: Any = "auto", channel_order: str = "bgr",
                 **options: Any) -> None:
        self.split = check_split("SMID", split)
        base, short_root, long_root = self._locate(root, self.EXPECTED)
        test_ids = read_test_list(base / "test_list.txt")
        available = scene_folders(short_root)
        unknown = sorted(test_ids - set(available), key=natural_key)
        if unknown:
            log.warning("SMID: %d scene ids in %s have no folder in %s (e.g. %s)", len(unknown),
                        base / "test_list.txt", short_root, ", ".join(unknown[:3]))
        scenes = [s for s in available if (s in test_ids) == (split == "test")]
        self._finish(base, short_root, long_root, scenes, resize, channel_order, options)


def read_test_list(path: Path) -> set[str]:
    """Scene ids, one per line (blank lines and surrounding spaces ignored)."""
    if not path.is_file():
        raise DataError(f"SMID: test scene list {path} not found (expected one scene id per line; it ships with "
                        f"the SMID numpy release)")
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"SMID: cannot read test scene list {path}: {exc}") from exc
    return {line.strip() for line in lines if line.strip()}
