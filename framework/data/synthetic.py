"""Synthetic low-light pairs from the photos bundled with scikit-image: a dataset that needs no files.

Each photo (the ground truth) is resized so its short side is ``image_size`` and centre-cropped to a square, then
darkened ``variants_per_image`` times by :func:`darken`:

1. gamma ``γ ∈ gamma_range`` (``x ** γ``: shadows sink faster than highlights, as in under-exposed sRGB),
2. gain ``g ∈ gain_range`` (overall exposure),
3. a per-channel colour cast (each channel × ``1 + u``, ``u ∈ [-color_cast, color_cast]``; 0 disables it),
4. shot noise: Gaussian with variance ``s · signal``, ``s ∈ shot_noise`` (the Poisson-like part),
5. read noise: Gaussian with standard deviation ``r ∈ read_noise``,
6. clipping to ``[0, 1]``.

Every variant is a deterministic function of ``(seed, photo name, variant)``. The held-out test split always uses
seed 0 for darkening, whatever ``seed`` says, so every training run is evaluated on the same pairs; ``seed`` only
changes the training pairs and the crop/augmentation draws. Train and test use disjoint photos. All pairs are
generated once at construction and kept in memory (a few MB at the default size).

Only images that ship inside scikit-image's wheel are used (no network, no pooch download). Grayscale photos are
replicated to three channels.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import ConfigError, DataError, did_you_mean
from .paired import ImagePair, PairedImageDataset

Range = tuple[float, float] | float

#: The seed the test split is always darkened with.
TEST_DARKEN_SEED = 0


def _photo_loaders() -> dict[str, Callable[[], np.ndarray]]:
    from skimage import data

    return {
        "astronaut": data.astronaut,
        "chelsea": data.chelsea,
        "coffee": data.coffee,
        "rocket": data.rocket,
        "immunohistochemistry": data.immunohistochemistry,
        "hubble_deep_field": data.hubble_deep_field,
        "motorcycle_left": lambda: data.stereo_motorcycle()[0],
        "retina": data.retina,
        "colorwheel": data.colorwheel,
        "camera": data.camera,
        "moon": data.moon,
        "coins": data.coins,
        "clock": data.clock,
        "grass": data.grass,
        "brick": data.brick,
        "gravel": data.gravel,
    }


#: Photos of each split (disjoint). Test holds natural colour scenes plus one grayscale scene.
TRAIN_PHOTOS: tuple[str, ...] = ("astronaut", "chelsea", "immunohistochemistry", "hubble_deep_field",
                                 "motorcycle_left", "camera", "moon", "grass")
TEST_PHOTOS: tuple[str, ...] = ("coffee", "rocket", "retina", "clock")


def available_photos() -> list[str]:
    """Names :class:`SyntheticPairs` accepts in ``photos``."""
    return sorted(_photo_loaders())


def load_photo(name: str, image_size: int) -> np.ndarray:
    """A bundled photo as ``image_size²×3`` float32 in ``[0, 1]``: short side resized, centre-cropped, grey
    replicated."""
    loaders = _photo_loaders()
    if name not in loaders:
        raise ConfigError(f"SyntheticPairs: unknown photo '{name}'{did_you_mean(name, loaders)}; "
                          f"available: {', '.join(sorted(loaders))}")
    try:
        photo = np.asarray(loaders[name]())
    except Exception as exc:  # e.g. a scikit-image build without the bundled files
        raise DataError(f"SyntheticPairs: scikit-image could not load its bundled photo '{name}' "
                        f"({type(exc).__name__}: {exc})") from exc
    if photo.ndim == 2:
        photo = np.repeat(photo[..., None], 3, axis=2)
    photo = photo[..., :3].astype(np.uint8) if photo.dtype != np.uint8 else photo[..., :3]
    h, w = photo.shape[:2]
    scale = image_size / min(h, w)
    new_w, new_h = max(image_size, round(w * scale)), max(image_size, round(h * scale))
    resized = np.asarray(Image.fromarray(np.ascontiguousarray(photo)).resize((new_w, new_h), Image.BICUBIC))
    top, left = (new_h - image_size) // 2, (new_w - image_size) // 2
    crop = resized[top:top + image_size, left:left + image_size]
    return np.ascontiguousarray(crop, dtype=np.float32) / 255.0


def _draw(rng: np.random.Generator, value: Range) -> float:
    low, high = (value, value) if isinstance(value, (int, float)) else value
    return float(rng.uniform(low, high)) if high > low else float(low)


def darken(img: np.ndarray, rng: np.random.Generator, gamma_range: Range = (1.5, 3.0),
           gain_range: Range = (0.05, 0.3), shot_noise: Range = (0.0, 0.02), read_noise: Range = (0.0, 0.01),
           color_cast: float = 0.1) -> np.ndarray:
    """A low-light version of ``img`` (``H×W×3`` float in ``[0, 1]``); steps in the module docstring.

    Ranges are ``(low, high)`` drawn uniformly from ``rng`` (a single number is a fixed value).
    """
    gamma, gain = _draw(rng, gamma_range), _draw(rng, gain_range)
    shot, read = _draw(rng, shot_noise), _draw(rng, read_noise)
    cast = 1.0 + rng.uniform(-color_cast, color_cast, size=3) if color_cast > 0 else np.ones(3)
    signal = gain * np.power(np.clip(img, 0.0, 1.0), gamma) * cast.astype(np.float32)
    noise_std = np.sqrt(shot * signal + read ** 2)
    low = signal + noise_std * rng.standard_normal(signal.shape)
    return np.clip(low, 0.0, 1.0).astype(np.float32)


def _variant_rng(seed: int, photo: str, variant: int) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFF_FFFF_FFFF_FFFF, zlib.crc32(photo.encode()), variant])


class SyntheticPairs(PairedImageDataset):
    """Darkened scikit-image photos and their originals, in the item format of the file datasets.

    split: ``'train'`` or ``'test'`` (disjoint photos). image_size: side of the square images.
    variants_per_image: darkened versions per photo (names ``<photo>_v<k>``). photos: override the split's photo
    list (names from :func:`available_photos`). darken_options: keyword arguments for :func:`darken`.
    crop_size, augment, repeat, max_images, seed: as in :class:`PairedImageDataset`. skip_bad_pairs: accepted like
    every paired dataset's (so ``--skip-bad-pairs`` applies to any config); generated pairs are never bad.
    """

    def __init__(self, split: str = "train", image_size: int = 128, variants_per_image: int = 4,
                 crop_size: int | None = None, augment: bool = False, seed: int = 0,
                 photos: Sequence[str] | None = None, repeat: int = 1, max_images: int | None = None,
                 darken_options: dict[str, Any] | None = None, skip_bad_pairs: bool = False) -> None:
        if split not in ("train", "test"):
            raise ConfigError(f"SyntheticPairs: split must be 'train' or 'test', got {split!r}")
        for option, value in (("image_size", image_size), ("variants_per_image", variants_per_image)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"SyntheticPairs: {option} must be a positive integer, got {value!r}")
        self.split = split
        self.image_size = image_size
        self.photos = tuple(photos) if photos is not None else (TRAIN_PHOTOS if split == "train" else TEST_PHOTOS)
        if not self.photos:
            raise ConfigError("SyntheticPairs: photos is empty; name at least one of " + ", ".join(available_photos()))
        darken_seed = TEST_DARKEN_SEED if split == "test" else seed
        self.darken_seed = darken_seed
        options = dict(darken_options or {})
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        pairs = []
        for photo in self.photos:
            high = load_photo(photo, image_size)
            for variant in range(variants_per_image):
                name = f"{photo}_v{variant}"
                low = darken(high, _variant_rng(darken_seed, photo, variant), **options)
                self._arrays[name] = (low, high)
                pairs.append(ImagePair(Path(f"synthetic:{name}"), Path(f"skimage.data:{photo}"), name))
        super().__init__(pairs, crop_size=crop_size, augment=augment, repeat=repeat, max_images=max_images,
                         seed=seed, root=None, skip_bad_pairs=skip_bad_pairs)

    def validate_pairs(self, pairs: list[ImagePair]) -> list[ImagePair]:
        return pairs  # generated in memory: there are no files to check

    def load_pair(self, pair: ImagePair) -> tuple[np.ndarray, np.ndarray]:
        low, high = self._arrays[pair.name]
        return low, high  # transforms never write in place, so the cache is safe to hand out

    def load_low(self, pair: ImagePair) -> np.ndarray:
        return self._arrays[pair.name][0]

    def source_key(self, pair: ImagePair) -> str:
        """``synthetic:<darkening seed>:<name>:<image size>`` — stable across runs and processes."""
        return f"synthetic:{self.darken_seed}:{pair.name}:{self.image_size}"

    @property
    def metainfo(self) -> dict[str, Any]:
        return {**super().metainfo, "root": "skimage.data", "photos": list(self.photos)}
