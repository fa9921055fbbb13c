"""Synthetic low-light pairs from clean photos: scikit-image's bundled photos (no files needed) or any folder.

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
changes the training pairs and the crop/augmentation draws. Train and test use disjoint photos.

Sources: ``source: null`` (default) uses only images that ship inside scikit-image's wheel (no network, no pooch
download) with fixed train/test photo lists. ``source: <folder>`` (or ``sample:clean`` for the sample data's clean
photos, see :func:`llie.paths.resolve_data_path`) uses every image below the folder, in natural order of their
relative paths; every ``test_every``-th photo (the first, the ``test_every+1``-th, …) is held out for the test split.
Clean photos are kept in memory at ``image_size``; their darkened versions are computed when an item is loaded
(cheap, and deterministic, so nothing is stored per variant). Grayscale photos are replicated to three channels.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
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
    new_w, new_h = _short_side_to(photo.shape[:2], image_size)
    resized = np.asarray(Image.fromarray(np.ascontiguousarray(photo)).resize((new_w, new_h), Image.BICUBIC))
    return np.ascontiguousarray(_centre_square(resized, image_size), dtype=np.float32) / 255.0


def _short_side_to(shape: tuple[int, int], image_size: int) -> tuple[int, int]:
    """(width, height) that scale an ``H×W`` image's short side to ``image_size``."""
    h, w = shape
    scale = image_size / min(h, w)
    return max(image_size, round(w * scale)), max(image_size, round(h * scale))


def _centre_square(image: np.ndarray, size: int) -> np.ndarray:
    top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return image[top:top + size, left:left + size]


def square_crop(photo: np.ndarray, image_size: int) -> np.ndarray:
    """``H×W×3`` float32 in ``[0, 1]`` → ``image_size²×3``: short side resized (area when shrinking, cubic when
    enlarging), centre-cropped."""
    import cv2

    new_w, new_h = _short_side_to(photo.shape[:2], image_size)
    interpolation = cv2.INTER_AREA if new_w < photo.shape[1] else cv2.INTER_CUBIC
    resized = cv2.resize(np.ascontiguousarray(photo, dtype=np.float32), (new_w, new_h), interpolation=interpolation)
    return np.ascontiguousarray(np.clip(_centre_square(resized, image_size), 0.0, 1.0))


def folder_photos(folder: Path) -> list[Path]:
    """Every image file below ``folder`` (recursively), in natural order of the relative path."""
    from .io import is_image_file
    from .paired import natural_key

    return sorted((p for p in folder.rglob("*") if p.is_file() and is_image_file(p)),
                  key=lambda p: natural_key(p.relative_to(folder).as_posix()))


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


def _uniform(batch: int, value: Range, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """``batch`` draws from ``U(low, high)`` (a fixed number: that number), shaped ``B×1×1×1``."""
    low, high = (value, value) if isinstance(value, (int, float)) else value
    u = torch.rand(batch, 1, 1, 1, generator=generator, device=device)
    return (low + (high - low) * u) if high > low else torch.full_like(u, float(low))


def darken_batch(images: torch.Tensor, generator: torch.Generator | None = None, gamma_range: Range = (1.5, 3.0),
                 gain_range: Range = (0.05, 0.3), shot_noise: Range = (0.0, 0.02), read_noise: Range = (0.0, 0.01),
                 color_cast: float = 0.1) -> torch.Tensor:
    """:func:`darken` for a ``B×3×H×W`` tensor batch, each image with its own draw of every parameter (same steps,
    same ranges and defaults), on the batch's device — for training-time degradation (e.g. self-supervised losses).

    All draws come from ``generator`` (on the batch's device; None: torch's global generator there). Not meant to be
    differentiated: the result is a new image, computed without gradient tracking.
    """
    with torch.no_grad():
        x = images.detach().clamp(0.0, 1.0)
        batch, device = x.shape[0], x.device
        if generator is not None and generator.device != device:
            raise ValueError(f"darken_batch: the generator is on {generator.device}, the images on {device}")
        gamma, gain = _uniform(batch, gamma_range, generator, device), _uniform(batch, gain_range, generator, device)
        shot, read = _uniform(batch, shot_noise, generator, device), _uniform(batch, read_noise, generator, device)
        cast = 1.0 + color_cast * (2.0 * torch.rand(batch, 3, 1, 1, generator=generator, device=device) - 1.0) \
            if color_cast > 0 else torch.ones(batch, 3, 1, 1, device=device)
        signal = gain * x.pow(gamma) * cast.to(x.dtype)
        noise_std = torch.sqrt(shot * signal + read ** 2)
        noise = torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype)
        return (signal + noise_std * noise).clamp(0.0, 1.0)


def _variant_rng(seed: int, photo: str, variant: int) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFF_FFFF_FFFF_FFFF, zlib.crc32(photo.encode()), variant])


class SyntheticPairs(PairedImageDataset):
    """Darkened clean photos and their originals, in the item format of the file datasets.

    split: ``'train'`` or ``'test'`` (disjoint photos). image_size: side of the square images.
    variants_per_image: darkened versions per photo (names ``<photo>_v<k>``).
    source: None for scikit-image's bundled photos, or a folder of clean photos (``sample:clean`` for the sample
    data's); see the module docstring. test_every: with a folder source, every n-th photo is a test photo.
    photos: restrict to these photos (bundled names from :func:`available_photos`, or, with a folder source, paths
    relative to it without suffix, e.g. ``Kodak24/kodim01``). max_photos: keep the first N photos of the split.
    darken_options: keyword arguments for :func:`darken`.
    crop_size, augment, repeat, max_images, seed: as in :class:`PairedImageDataset`. skip_bad_pairs: accepted like
    every paired dataset's (so ``--skip-bad-pairs`` applies to any config); generated pairs are never bad.
    """

    def __init__(self, split: str = "train", image_size: int = 128, variants_per_image: int = 4,
                 crop_size: int | None = None, augment: bool = False, seed: int = 0,
                 photos: Sequence[str] | None = None, repeat: int = 1, max_images: int | None = None,
                 darken_options: dict[str, Any] | None = None, skip_bad_pairs: bool = False,
                 source: str | None = None, test_every: int = 5, max_photos: int | None = None) -> None:
        if split not in ("train", "test"):
            raise ConfigError(f"SyntheticPairs: split must be 'train' or 'test', got {split!r}")
        for option, value in (("image_size", image_size), ("variants_per_image", variants_per_image),
                              ("test_every", test_every), ("max_photos", max_photos or 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"SyntheticPairs: {option} must be a positive integer, got {value!r}")
        self.split = split
        self.image_size = image_size
        self.source = None if source is None else str(source)
        self.darken_seed = TEST_DARKEN_SEED if split == "test" else seed
        self.darken_options = dict(darken_options or {})
        clean = self._load_clean(photos, test_every) if source is not None else self._load_bundled(photos)
        if max_photos is not None:
            clean = dict(list(clean.items())[:max_photos])
        self.photos = tuple(clean)
        self._clean = clean
        self._variant: dict[str, tuple[str, int]] = {}
        pairs = []
        for photo in self.photos:
            for variant in range(variants_per_image):
                name = f"{photo}_v{variant}"
                self._variant[name] = (photo, variant)
                pairs.append(ImagePair(Path(f"synthetic:{name}"), Path(f"{self._origin}:{photo}"), name))
        super().__init__(pairs, crop_size=crop_size, augment=augment, repeat=repeat, max_images=max_images,
                         seed=seed, root=None, skip_bad_pairs=skip_bad_pairs)

    def _load_bundled(self, photos: Sequence[str] | None) -> dict[str, np.ndarray]:
        self._origin = "skimage.data"
        names = tuple(photos) if photos is not None else (TRAIN_PHOTOS if self.split == "train" else TEST_PHOTOS)
        if not names:
            raise ConfigError("SyntheticPairs: photos is empty; name at least one of " + ", ".join(available_photos()))
        return {name: load_photo(name, self.image_size) for name in names}

    def _load_clean(self, photos: Sequence[str] | None, test_every: int) -> dict[str, np.ndarray]:
        from ..paths import resolve_data_path
        from .io import read_image

        folder = resolve_data_path(self.source, what="SyntheticPairs.source")
        if not folder.is_dir():
            raise DataError(f"SyntheticPairs: source folder {folder} does not exist (expected a folder of clean "
                            f"photos)")
        self._origin = str(folder)
        files = folder_photos(folder)
        if not files:
            raise DataError(f"SyntheticPairs: no images under {folder}")
        keyed = {f.relative_to(folder).with_suffix("").as_posix(): f for f in files}
        held_out = {key for i, key in enumerate(keyed) if i % test_every == 0}
        split = [k for k in keyed if (k in held_out) == (self.split == "test")]
        if photos is not None:
            unknown = [p for p in photos if p not in keyed]
            if unknown:
                raise ConfigError(f"SyntheticPairs: photo '{unknown[0]}' is not under {folder}"
                                  f"{did_you_mean(unknown[0], keyed)}")
            split = [p for p in photos]
        if not split:
            raise DataError(f"SyntheticPairs: the {self.split} split of {folder} is empty ({len(keyed)} photos, "
                            f"test_every={test_every})")
        return {key: square_crop(read_image(keyed[key]), self.image_size) for key in split}

    def validate_pairs(self, pairs: list[ImagePair]) -> list[ImagePair]:
        return pairs  # generated in memory: there are no files to check

    def load_pair(self, pair: ImagePair) -> tuple[np.ndarray, np.ndarray]:
        photo, variant = self._variant[pair.name]
        high = self._clean[photo]
        low = darken(high, _variant_rng(self.darken_seed, photo, variant), **self.darken_options)
        return low, high  # transforms never write in place, so the clean photo is safe to hand out

    def load_low(self, pair: ImagePair) -> np.ndarray:
        return self.load_pair(pair)[0]

    def source_key(self, pair: ImagePair) -> str:
        """``synthetic:<darkening seed>:<name>:<image size>`` (+ the source folder) — stable across runs."""
        key = f"synthetic:{self.darken_seed}:{pair.name}:{self.image_size}"
        return key if self.source is None else f"{key}:{self._origin}"

    @property
    def metainfo(self) -> dict[str, Any]:
        return {**super().metainfo, "root": self._origin, "photos": list(self.photos)}
