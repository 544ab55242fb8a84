"""The one image loader: every query and gallery image goes through :func:`load_image`."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from fgir.errors import ImageLoadError, msg

logger = logging.getLogger(__name__)

# Pillow's own default (about 89 MP); above it an image is treated as a decompression bomb.
MAX_IMAGE_PIXELS = 89_478_485
# Pillow must never fill a truncated file with grey and carry on silently.
ImageFile.LOAD_TRUNCATED_IMAGES = False

_WHITE = (255, 255, 255)
_MAX_16_BIT = 65535


def load_image(source: str | Path | Image.Image) -> Image.Image:
    """Load ``source`` as an 8-bit RGB image with its EXIF orientation applied.

    Accepts a path or an already opened PIL image. Raises :class:`ImageLoadError` with the path,
    the reason and what to do for missing files, non-images, truncated files and images above
    ``MAX_IMAGE_PIXELS``.
    """
    if isinstance(source, Image.Image):
        return to_rgb(ImageOps.exif_transpose(source))

    path = Path(source)
    if not path.is_file():
        raise ImageLoadError(msg("image.not_found", path=path))
    if path.stat().st_size == 0:
        raise ImageLoadError(msg("image.empty", path=path))
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1x and 2x its pixel limit; treat that as a bomb too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                _check_pixel_count(image, path)
                image.load()
                return to_rgb(ImageOps.exif_transpose(image))
    except UnidentifiedImageError as error:
        raise ImageLoadError(msg("image.not_an_image", path=path)) from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(msg("image.too_large", path=path, limit=MAX_IMAGE_PIXELS)) from error
    except OSError as error:
        raise ImageLoadError(msg("image.corrupt", path=path, reason=error)) from error


def _check_pixel_count(image: Image.Image, path: Path) -> None:
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageLoadError(msg("image.too_many_pixels", path=path, width=width, height=height, limit=MAX_IMAGE_PIXELS))
    if width == 0 or height == 0:
        raise ImageLoadError(msg("image.no_pixels", path=path, width=width, height=height))


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode (L, P, RGBA, LA, CMYK, I;16, I, F, 1) to 8-bit RGB.

    Transparent pixels are composited on white, because a black background would read as a
    dark object to the aggregation map. 16-bit and 32-bit images are rescaled to their value range.
    """
    if image.mode == "RGB":
        return image.copy()
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _high_depth_to_rgb(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16"):
        scaled = values / _MAX_16_BIT
    else:
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    gray = np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(gray, mode="L").convert("RGB")
