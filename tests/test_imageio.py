"""The image loader on odd and broken files built with Pillow: RGB out, or ImageLoadError naming the path."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image

import fgir.imageio
from fgir.errors import ImageLoadError
from fgir.imageio import load_image

RED = (255, 0, 0)
WHITE = (255, 255, 255)
EXIF_ORIENTATION_TAG = 0x0112


def _pixel(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(value) for value in image.getpixel((x, y)))


def test_load_rgb_png_unchanged(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tmp_path / "plain.png"
    Image.fromarray(pixels).save(path)

    image = load_image(path)

    assert image.mode == "RGB"
    assert np.array_equal(np.asarray(image), pixels)


def test_load_exif_orientation_applied(tmp_path: Path) -> None:
    # Stored 80 x 60 with a red block top-left. Orientation 6 means "rotate 90 degrees clockwise to
    # display", so the displayed image is 60 x 80 with the block top-right.
    stored = Image.new("RGB", (80, 60), WHITE)
    stored.paste(RED, (0, 0, 16, 16))
    exif = stored.getexif()
    exif[EXIF_ORIENTATION_TAG] = 6
    path = tmp_path / "rotated.jpg"
    stored.save(path, exif=exif, quality=95)

    image = load_image(path)

    assert image.mode == "RGB"
    assert image.size == (60, 80)
    top_right, top_left = _pixel(image, 52, 8), _pixel(image, 8, 8)
    assert top_right[0] > 200  # red
    assert top_right[1] < 60
    assert min(top_left) > 200  # white


def test_load_grayscale_l(tmp_path: Path) -> None:
    path = tmp_path / "gray.png"
    Image.new("L", (4, 3), 100).save(path)

    image = load_image(path)

    assert image.mode == "RGB"
    assert image.size == (4, 3)
    assert _pixel(image, 0, 0) == (100, 100, 100)


def test_load_palette_transparency_white(tmp_path: Path) -> None:
    # Palette index 0 (black) is transparent, index 1 is red.
    palette_image = Image.new("P", (2, 1), 0)
    palette_image.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    palette_image.putpixel((1, 0), 1)
    path = tmp_path / "palette.png"
    palette_image.save(path, transparency=0)

    image = load_image(path)

    assert image.mode == "RGB"
    assert _pixel(image, 0, 0) == WHITE
    assert _pixel(image, 1, 0) == RED


def test_load_rgba_transparent_white(tmp_path: Path) -> None:
    # Left pixel fully transparent black, right pixel opaque red.
    pixels = np.array([[[0, 0, 0, 0], [255, 0, 0, 255]]], dtype=np.uint8)
    path = tmp_path / "rgba.png"
    Image.fromarray(pixels, mode="RGBA").save(path)

    image = load_image(path)

    assert image.mode == "RGB"
    assert _pixel(image, 0, 0) == WHITE
    assert _pixel(image, 1, 0) == RED


def test_load_la_transparent_white(tmp_path: Path) -> None:
    pixels = np.array([[[0, 0], [50, 255]]], dtype=np.uint8)
    path = tmp_path / "la.png"
    Image.fromarray(pixels, mode="LA").save(path)

    image = load_image(path)

    assert image.mode == "RGB"
    assert _pixel(image, 0, 0) == WHITE
    assert _pixel(image, 1, 0) == (50, 50, 50)


def test_load_cmyk_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("RGB", (16, 16), RED).convert("CMYK").save(path, quality=95)
    with Image.open(path) as stored:
        assert stored.mode == "CMYK"

    image = load_image(path)

    assert image.mode == "RGB"
    assert image.size == (16, 16)
    assert np.abs(np.array(_pixel(image, 8, 8)) - np.array(RED)).max() <= 10


def test_load_16_bit_png(tmp_path: Path) -> None:
    # I;16 values map to 8 bits by value / 65535 * 255: 0 -> 0, 32768 -> 128, 65535 -> 255.
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    with Image.open(path) as stored:
        assert stored.mode.startswith("I")

    image = load_image(path)

    assert image.mode == "RGB"
    assert _pixel(image, 0, 0) == (0, 0, 0)
    assert _pixel(image, 1, 0) == (128, 128, 128)
    assert _pixel(image, 2, 0) == (255, 255, 255)


def test_load_open_pil_image() -> None:
    rgba = Image.new("RGBA", (3, 2), (0, 0, 0, 0))

    image = load_image(rgba)

    assert image.mode == "RGB"
    assert _pixel(image, 0, 0) == WHITE


def _write_text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not an image\n")
    return path


def _write_truncated_jpeg(tmp_path: Path) -> Path:
    pixels = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    full = tmp_path / "full.jpg"
    Image.fromarray(pixels).save(full)
    path = tmp_path / "truncated.jpg"
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _write_empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no_such_image.jpg"


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "a_folder.jpg"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    "make_path",
    [_write_text, _write_truncated_jpeg, _write_empty, _missing, _folder],
    ids=["non-image", "truncated-jpeg", "empty-file", "missing-path", "folder"],
)
def test_load_bad_file_names_path(tmp_path: Path, make_path: Callable[[Path], Path]) -> None:
    path = make_path(tmp_path)

    with pytest.raises(ImageLoadError) as caught:
        load_image(path)

    assert str(path) in str(caught.value)


def test_load_bomb_own_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fgir.imageio, "MAX_IMAGE_PIXELS", 100)
    path = tmp_path / "large.png"
    Image.new("RGB", (20, 20)).save(path)

    with pytest.raises(ImageLoadError) as caught:
        load_image(path)

    assert str(path) in str(caught.value)
    assert "too large" in str(caught.value)


@pytest.mark.parametrize("pillow_limit", [150, 100], ids=["pillow-warning", "pillow-error"])
def test_load_bomb_pillow_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pillow_limit: int) -> None:
    # Pillow warns between 1x and 2x its own limit and raises above 2x. Both must become ImageLoadError.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    path = tmp_path / "large.png"
    Image.new("RGB", (15, 15)).save(path)  # 225 pixels: 1.5x the first limit, 2.25x the second.

    with pytest.raises(ImageLoadError) as caught:
        load_image(path)

    assert str(path) in str(caught.value)
