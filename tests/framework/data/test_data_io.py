"""read_image / write_image: every supported file kind becomes float32 H×W×3 RGB in [0, 1]; bad files fail clearly."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from llie.data.io import image_size, is_image_file, read_image, write_image
from llie.errors import DataError


def _rgb8(h: int = 6, w: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _assert_unit_rgb(img: np.ndarray, h: int, w: int) -> None:
    assert img.dtype == np.float32 and img.shape == (h, w, 3)
    assert img.min() >= 0.0 and img.max() <= 1.0


def test_8bit_png_is_divided_by_255(tmp_path):
    raw = _rgb8()
    Image.fromarray(raw).save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png")
    _assert_unit_rgb(img, 6, 8)
    np.testing.assert_array_equal(img, raw.astype(np.float32) / 255)


def test_16bit_colour_png_keeps_all_bits(tmp_path):
    raw = np.random.default_rng(1).integers(0, 65536, (5, 7, 3), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "c16.png"), raw[..., ::-1])  # OpenCV writes BGR
    img = read_image(tmp_path / "c16.png")
    _assert_unit_rgb(img, 5, 7)
    np.testing.assert_allclose(img, raw / 65535.0, atol=1e-7)
    # values that differ only below the 8th bit stay distinct (Pillow alone would truncate them)
    assert len(np.unique(np.round(img * 65535))) > 50


def test_16bit_grey_png_is_scaled_and_replicated(tmp_path):
    raw = (np.arange(20, dtype=np.uint16).reshape(4, 5) * 3001)
    Image.fromarray(raw).save(tmp_path / "g16.png")
    img = read_image(tmp_path / "g16.png")
    _assert_unit_rgb(img, 4, 5)
    for c in range(3):
        np.testing.assert_allclose(img[..., c], raw / 65535.0, atol=1e-7)


def test_grayscale_8bit_is_replicated(tmp_path):
    raw = _rgb8()[..., 0]
    Image.fromarray(raw, mode="L").save(tmp_path / "g.png")
    img = read_image(tmp_path / "g.png")
    assert np.array_equal(img[..., 0], img[..., 1]) and np.array_equal(img[..., 1], img[..., 2])
    np.testing.assert_array_equal(img[..., 0], raw / np.float32(255))


def test_rgba_alpha_is_dropped_not_composited(tmp_path):
    raw = _rgb8()
    alpha = np.zeros((6, 8, 1), np.uint8)  # fully transparent: compositing would change every pixel
    Image.fromarray(np.concatenate([raw, alpha], axis=2), mode="RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), raw / np.float32(255))


def test_grey_alpha_is_dropped(tmp_path):
    grey = _rgb8()[..., 0]
    Image.fromarray(np.stack([grey, np.full_like(grey, 7)], axis=2), mode="LA").save(tmp_path / "la.png")
    img = read_image(tmp_path / "la.png")
    np.testing.assert_array_equal(img[..., 2], grey / np.float32(255))


def test_palette_image_is_expanded_to_its_colours(tmp_path):
    colours = np.array([[255, 0, 0], [0, 128, 255], [20, 200, 20]], np.uint8)
    index = np.random.default_rng(2).integers(0, 3, (6, 8))
    im = Image.fromarray(index.astype(np.uint8), mode="P")
    im.putpalette(colours.flatten().tolist())
    im.save(tmp_path / "p.png")
    assert Image.open(tmp_path / "p.png").mode == "P"
    np.testing.assert_array_equal(read_image(tmp_path / "p.png"), colours[index] / np.float32(255))


def test_jpeg_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((10, 20, 3), np.uint8)  # H=10, W=20: left half red, right half blue
    stored[:, :10] = (255, 0, 0)
    stored[:, 10:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the stored left edge becomes the top
    Image.fromarray(stored).save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    img = read_image(tmp_path / "r.jpg")
    _assert_unit_rgb(img, 20, 10)
    assert image_size(tmp_path / "r.jpg") == (10, 20)
    top, bottom = img[:8].mean(axis=(0, 1)), img[-8:].mean(axis=(0, 1))
    assert top[0] > 0.9 and top[2] < 0.1, top
    assert bottom[2] > 0.9 and bottom[0] < 0.1, bottom


@pytest.mark.parametrize("dtype, scale", [(np.uint8, 255.0), (np.uint16, 65535.0)])
def test_npy_integer_arrays_are_scaled(tmp_path, dtype, scale):
    raw = np.random.default_rng(3).integers(0, int(scale) + 1, (4, 6, 3)).astype(dtype)
    np.save(tmp_path / "x.npy", raw)
    np.testing.assert_allclose(read_image(tmp_path / "x.npy"), raw / scale, atol=1e-7)


def test_npy_float_2d_and_bgr(tmp_path):
    grey = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "g.npy", grey)
    img = read_image(tmp_path / "g.npy")
    _assert_unit_rgb(img, 3, 4)
    np.testing.assert_array_equal(img[..., 1], grey)
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[..., 0] = 255  # blue in BGR order
    np.save(tmp_path / "bgr.npy", bgr)
    assert read_image(tmp_path / "bgr.npy")[0, 0].tolist() == [1.0, 0.0, 0.0]
    assert read_image(tmp_path / "bgr.npy", npy_channel_order="bgr")[0, 0].tolist() == [0.0, 0.0, 1.0]


def test_npy_resize_matches_the_published_cv2_pipeline(tmp_path):
    raw = np.random.default_rng(4).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    np.save(tmp_path / "s.npy", raw)
    img = read_image(tmp_path / "s.npy", size=(20, 10), npy_channel_order="bgr")
    expected = cv2.resize(raw, (20, 10)).astype(np.float32)[..., ::-1] / 255.0  # resize raw, then /255, then RGB
    np.testing.assert_array_equal(img, expected)


@pytest.mark.parametrize("array", [np.zeros((3, 4, 5), np.uint8), np.zeros(4, np.uint8),
                                   np.zeros((3, 3, 3), np.complex64)], ids=["5-channels", "1d", "complex"])
def test_npy_with_unusable_shape_or_dtype_fails(tmp_path, array):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(DataError, match="bad.npy"):
        read_image(tmp_path / "bad.npy")


def test_zero_byte_file_fails_naming_it(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty \(0 bytes\).*empty\.png"):
        read_image(tmp_path / "empty.png")


@pytest.mark.parametrize("name", ["t.png", "t.jpg", "t.npy"])
def test_truncated_files_fail_naming_them(tmp_path, name):
    path = tmp_path / name
    raw = _rgb8(64, 64)
    if name.endswith(".npy"):
        np.save(path, raw)
    else:
        Image.fromarray(raw).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=name.replace(".", r"\.")) as info:
        read_image(path)
    assert "truncated" in str(info.value)


def test_truncated_16bit_png_fails(tmp_path):
    path = tmp_path / "t16.png"
    cv2.imwrite(str(path), np.random.default_rng(5).integers(0, 65536, (32, 32, 3), dtype=np.uint16))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match="t16.png"):
        read_image(path)


def test_garbage_and_missing_files_fail(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"this is not an image at all")
    with pytest.raises(DataError, match="junk.png"):
        read_image(tmp_path / "junk.png")
    with pytest.raises(DataError, match="not found.*nope.png"):
        read_image(tmp_path / "nope.png")


def test_is_image_file():
    assert is_image_file("a/B.PNG") and is_image_file("x.npy") and is_image_file("y.JPEG")
    assert not is_image_file("notes.txt") and not is_image_file(".hidden.png") and not is_image_file("raw.ARW")


def test_write_image_roundtrip_from_tensor_and_array(tmp_path):
    array = np.random.default_rng(6).random((5, 7, 3)).astype(np.float32)
    tensor = torch.from_numpy(array).permute(2, 0, 1)
    write_image(tmp_path / "deep" / "dir" / "t.png", tensor)  # parents created
    write_image(tmp_path / "a.png", array)
    expected = np.round(array * 255) / np.float32(255)
    np.testing.assert_allclose(read_image(tmp_path / "deep" / "dir" / "t.png"), expected, atol=1e-6)
    np.testing.assert_allclose(read_image(tmp_path / "a.png"), expected, atol=1e-6)


def test_write_image_format_follows_suffix_and_clips(tmp_path):
    write_image(tmp_path / "x.jpg", np.full((8, 8, 3), 2.0))  # out of range: clipped to white
    assert (tmp_path / "x.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert read_image(tmp_path / "x.jpg").min() > 0.99
    write_image(tmp_path / "y.png", torch.zeros(1, 3, 4, 4))
    assert (tmp_path / "y.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(DataError, match="unsupported suffix"):
        write_image(tmp_path / "z.gif", np.zeros((2, 2, 3)))
    with pytest.raises(DataError, match="shape"):
        write_image(tmp_path / "w.png", np.zeros((2, 2, 5)))


def test_write_image_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    write_image(target, np.zeros((4, 4, 3)))
    before = target.read_bytes()

    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(DataError, match=r"cannot write .*keep\.png: disk full"):  # one line naming the file
        write_image(target, np.ones((4, 4, 3)))
    assert target.read_bytes() == before  # the old file is untouched
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]  # and no temporary file is left behind
