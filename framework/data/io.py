"""Reading and writing images as float RGB arrays in ``[0, 1]``.

Every image the framework sees goes through :func:`read_image`, so the conversions below are the whole story of how
files become pixel values:

* **8-bit files** (PNG, JPEG, BMP, TIFF, WebP …) are divided by 255; **16-bit PNG** (grey or colour) and 16-bit
  grey TIFF by 65535. Pillow silently truncates 16-bit colour (and grey+alpha) PNG to 8 bits, so those are decoded
  with OpenCV (a dependency of mmcv) instead.
* **JPEG EXIF orientation** is applied, so the array is upright as a photo viewer shows it.
* **Grayscale** (``L``, ``I;16``, 1-bit) is replicated to three identical channels.
* **Palette** (``P``) images are expanded to their RGB colours.
* **Alpha** (``RGBA``, ``LA``, palette transparency) is dropped, not composited: low-light benchmarks carry no
  alpha, and compositing onto a background would change the pixel values the published metrics were computed on.
* **Other colour spaces** (CMYK, YCbCr, LAB, HSV) are converted to RGB by Pillow.
* **``.npy`` arrays** (the SID/SMID numpy releases): ``uint8`` / 255, ``uint16`` / 65535, ``bool`` as 0/1, float as
  already in ``[0, 1]`` (clipped to it); ``H×W``, ``H×W×1``, ``H×W×3`` or ``H×W×4`` (alpha dropped). These files
  were written by OpenCV pipelines and hold **BGR**; pass ``npy_channel_order='bgr'`` to get RGB (the SID and SMID
  datasets do).
* ``size=(W, H)`` resizes *before* the scaling to ``[0, 1]``, in the file's own dtype, with OpenCV's bilinear
  ``INTER_LINEAR`` — exactly what the published SID/SMID loaders do (``cv2.resize`` on the raw array, then ``/255``),
  so metrics measured after a resize match theirs to the bit.

Any missing, empty (0 bytes), truncated or undecodable file raises :class:`~llie.errors.DataError` naming the
file and the reason. :func:`write_image` writes 8-bit PNG or JPEG (by suffix) atomically; a folder it cannot write
to (read-only, full, a file in the way) raises :class:`~llie.errors.DataError` naming the output path.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DataError

#: Suffixes (lower case) that :func:`read_image` accepts; folder scans use them to ignore stray files.
IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".npy"})
WRITE_FORMATS: dict[str, str] = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION_TAG = 0x0112
_SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that rotate by ±90°


def is_image_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` has a suffix :func:`read_image` understands (case-insensitive); hidden files never do."""
    p = Path(path)
    return not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: str | os.PathLike, *, size: tuple[int, int] | None = None,
               npy_channel_order: str = "rgb") -> np.ndarray:
    """Read ``path`` as a float32 ``H×W×3`` RGB array in ``[0, 1]`` (conversions: see the module docstring).

    size: optional ``(W, H)`` to resize to (bilinear, in the source dtype). npy_channel_order: ``'rgb'`` or
    ``'bgr'``, the channel order stored in ``.npy`` files (ignored for image files, whose order is known).
    """
    path = Path(path)
    if npy_channel_order not in ("rgb", "bgr"):
        raise DataError(f"npy_channel_order must be 'rgb' or 'bgr', got {npy_channel_order!r} (reading {path})")
    _check_readable(path)
    if path.suffix.lower() == ".npy":
        raw = _read_npy(path)
        if npy_channel_order == "bgr" and raw.ndim == 3 and raw.shape[2] == 3:
            raw = np.ascontiguousarray(raw[..., ::-1])
    elif _is_16bit_png_pillow_would_truncate(path):
        raw = _read_with_opencv(path)
    else:
        raw = _read_with_pillow(path)
    if not raw.dtype.isnative:  # big-endian 16-bit data (Pillow 'I;16B', some .npy files)
        raw = raw.astype(raw.dtype.newbyteorder("="))
    if size is not None:
        raw = _resize(raw, size, path)
    return _to_unit_float(raw, path)


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(W, H)`` of the image :func:`read_image` would return (EXIF rotation included), reading only the header."""
    path = Path(path)
    _check_readable(path)
    try:
        if path.suffix.lower() == ".npy":
            shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
            if len(shape) < 2:
                raise ValueError(f"array of shape {shape} is not an image")
            return int(shape[1]), int(shape[0])
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"cannot read image header of {path}: {_reason(exc)}") from exc
    return (h, w) if orientation in _SWAPS_AXES else (w, h)


def write_image(path: str | os.PathLike, img: Any, *, jpeg_quality: int = 95) -> Path:
    """Write ``img`` (``H×W×3`` float array or ``3×H×W`` / ``1×3×H×W`` tensor, values in ``[0, 1]``) as 8-bit.

    The format follows the suffix (``.png``, ``.jpg``, ``.jpeg``). Values are clipped to ``[0, 1]`` and rounded to
    the nearest 8-bit level. The file is written to a temporary name in the same folder and moved into place with
    ``os.replace``, so a reader never sees a half-written image; parent folders are created.
    """
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"cannot write {path}: unsupported suffix '{path.suffix}' (use one of "
                        f"{', '.join(sorted(WRITE_FORMATS))})")
    array = to_uint8_hwc(img)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:  # read-only folder, a file where a folder should be, …
        raise DataError(f"cannot write {path}: {exc.strerror or exc} (in {path.parent})") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            options = {"quality": jpeg_quality} if fmt == "JPEG" else {}
            Image.fromarray(array).save(handle, format=fmt, **options)
        os.replace(tmp_name, path)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # disk full while writing, …
            raise DataError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


def to_uint8_hwc(img: Any) -> np.ndarray:
    """``H×W×3`` uint8 from an ``H×W×3`` / ``H×W`` array or a ``3×H×W`` / ``1×3×H×W`` tensor in ``[0, 1]``."""
    if hasattr(img, "detach"):  # a torch tensor: channels first
        array = img.detach().float().cpu().numpy()
        if array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != 3 or array.shape[0] not in (1, 3):
            raise DataError(f"cannot write a tensor of shape {tuple(array.shape)}: expected 3×H×W or 1×3×H×W")
        array = np.transpose(array, (1, 2, 0))
    else:
        array = np.asarray(img, dtype=np.float32)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3):
        raise DataError(f"cannot write an array of shape {array.shape}: expected H×W×3 or H×W")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    array = np.nan_to_num(array.astype(np.float32), nan=0.0)
    return np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)


# --- reading helpers ---------------------------------------------------------------------------------------------

def _check_readable(path: Path) -> None:
    if not path.exists():
        raise DataError(f"image file not found: {path}")
    if not path.is_file():
        raise DataError(f"not an image file (a folder or special file): {path}")
    if path.stat().st_size == 0:
        raise DataError(f"image file is empty (0 bytes): {path}")


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DataError(f"cannot read numpy image {path} (truncated or not a .npy file): {_reason(exc)}") from exc
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "uifb":
        raise DataError(f"numpy image {path} has unsupported dtype {getattr(array, 'dtype', type(array))}")
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3))):
        raise DataError(f"numpy image {path} has shape {array.shape}; expected H×W, H×W×1, H×W×3 or H×W×4")
    return array


def _is_16bit_png_pillow_would_truncate(path: Path) -> bool:
    """PNG header says bit depth 16 and colour type grey+alpha (4), RGB (2) or RGBA (6); plain 16-bit grey (0)
    Pillow reads correctly as ``I;16``."""
    if path.suffix.lower() != ".png":
        return False
    with open(path, "rb") as handle:
        header = handle.read(26)
    return len(header) == 26 and header[:8] == _PNG_SIGNATURE and header[24] == 16 and header[25] in (2, 4, 6)


def _read_with_opencv(path: Path) -> np.ndarray:
    import cv2  # deferred: only 16-bit colour PNG needs it

    data = np.fromfile(path, dtype=np.uint8)
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise DataError(f"cannot decode 16-bit PNG {path} (truncated or corrupt)")
    if array.ndim == 3 and array.shape[2] >= 3:
        return np.ascontiguousarray(array[..., 2::-1])  # BGR(A) -> RGB, alpha dropped
    return array if array.ndim == 2 else np.ascontiguousarray(array[..., 0])  # grey (+ alpha)


def _read_with_pillow(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im.load()  # decode now: truncation surfaces here, not later
            im = ImageOps.exif_transpose(im)
            return _pillow_to_array(im)
    except UnidentifiedImageError as exc:
        raise DataError(f"not a readable image file: {path} ({_reason(exc)})") from exc
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"cannot decode image {path} (truncated or corrupt): {_reason(exc)}") from exc


def _pillow_to_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode == "1":
        im = im.convert("L")
    elif mode in ("P", "PA"):
        im = im.convert("RGBA")  # via RGBA so palette transparency does not warn; alpha is dropped below
    elif mode == "LA" or mode == "La":
        im = im.getchannel("L")
    elif mode.startswith("I;16") or mode in ("I", "F", "L", "RGB", "RGBA"):
        pass
    else:  # CMYK, YCbCr, LAB, HSV, RGBX, RGBa …
        im = im.convert("RGB")
    array = np.asarray(im)
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    return array


def _resize(array: np.ndarray, size: tuple[int, int], path: Path) -> np.ndarray:
    import cv2

    w, h = (int(v) for v in size)
    if w <= 0 or h <= 0:
        raise DataError(f"cannot resize {path} to {w}×{h}: width and height must be positive")
    if array.shape[1] == w and array.shape[0] == h:
        return array
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype.kind in "iu" and array.dtype not in (np.uint8, np.uint16):
        array = array.astype(np.float32) / 65535.0  # 32-bit integer grey (16-bit data), see _to_unit_float
    out = cv2.resize(np.ascontiguousarray(array), (w, h), interpolation=cv2.INTER_LINEAR)
    if array.ndim == 3 and out.ndim == 2:  # OpenCV drops a trailing singleton channel
        out = out[..., None]
    return out


def _to_unit_float(array: np.ndarray, path: Path) -> np.ndarray:
    kind = array.dtype
    if kind == np.uint8:
        out = array.astype(np.float32) / 255.0
    elif kind == np.uint16:
        out = array.astype(np.float32) / 65535.0
    elif kind == np.bool_:
        out = array.astype(np.float32)
    elif kind.kind in "iu":  # Pillow mode 'I' (32-bit): how some Pillow versions load 16-bit grey PNG
        out = array.astype(np.float32) / 65535.0
    elif kind.kind == "f":
        out = array.astype(np.float32)
    else:
        raise DataError(f"image {path} has unsupported pixel type {kind}")
    if out.ndim == 2:
        out = out[..., None]
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    return np.ascontiguousarray(np.clip(out, 0.0, 1.0, out=out), dtype=np.float32)
