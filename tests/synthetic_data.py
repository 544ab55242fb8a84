"""Tiny galleries built from scikit-image's bundled sample photos (public domain / CC0).

Each class is one photo, and its images are crops, mirrors and brightness changes of it. A
pretrained backbone therefore ranks same-class images first and the metrics are far from chance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image, ImageEnhance, ImageOps

PHOTOS = ("astronaut", "chelsea", "coffee")
# Images are written small: decoding stays fast and the backbone resizes to its input size anyway.
IMAGE_SIDE = 96


def photo(name: str) -> Image.Image:
    return Image.fromarray(np.asarray(getattr(skimage.data, name)())).convert("RGB")


def variants(image: Image.Image, count: int) -> list[Image.Image]:
    """Return ``count`` distinct views of ``image``: full, mirrored, two crops, brighter, darker."""
    width, height = image.size
    views = [
        image,
        ImageOps.mirror(image),
        image.crop((0, 0, int(width * 0.8), int(height * 0.8))),
        image.crop((int(width * 0.2), int(height * 0.2), width, height)),
        ImageEnhance.Brightness(image).enhance(1.3),
        ImageEnhance.Brightness(image).enhance(0.7),
    ]
    if count > len(views):
        raise ValueError(f"At most {len(views)} views per photo")
    return [view.resize((IMAGE_SIDE, IMAGE_SIDE)) for view in views[:count]]


def make_folder_gallery(root: Path, per_class: int = 4, photos: tuple[str, ...] = PHOTOS) -> Path:
    """Write ``root/<photo>/<n>.jpg`` for each photo and return ``root``."""
    for name in photos:
        folder = root / name
        folder.mkdir(parents=True)
        for number, view in enumerate(variants(photo(name), per_class)):
            view.save(folder / f"{number}.jpg", quality=90)
    return root


def make_cub_root(root: Path, per_class: int = 4, photos: tuple[str, ...] = PHOTOS[:2]) -> Path:
    """Write a CUB-200-2011 layout: alternating train/test images and a centred box per image.

    Image ids run from 1 in class order; within a class, even positions are train images.
    """
    image_lines, label_lines, split_lines, box_lines, class_lines = [], [], [], [], []
    image_id = 0
    for class_id, name in enumerate(photos, start=1):
        folder_name = f"{class_id:03d}.{name}"
        class_lines.append(f"{class_id} {folder_name}")
        (root / "images" / folder_name).mkdir(parents=True)
        for number, view in enumerate(variants(photo(name), per_class)):
            image_id += 1
            relpath = f"{folder_name}/{name}_{number}.jpg"
            view.save(root / "images" / relpath, quality=90)
            image_lines.append(f"{image_id} {relpath}")
            label_lines.append(f"{image_id} {class_id}")
            split_lines.append(f"{image_id} {1 if number % 2 == 0 else 0}")
            box_lines.append(f"{image_id} 24.0 24.0 48.0 48.0")
    for file_name, lines in (
        ("images.txt", image_lines),
        ("image_class_labels.txt", label_lines),
        ("train_test_split.txt", split_lines),
        ("bounding_boxes.txt", box_lines),
        ("classes.txt", class_lines),
    ):
        (root / file_name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def replace_line(path: Path, image_id: int, new_line: str | None) -> None:
    """Replace (or with None, delete) the line of ``image_id`` in a CUB metadata file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = []
    for line in lines:
        if line.split()[0] == str(image_id):
            if new_line is not None:
                kept.append(new_line)
        else:
            kept.append(line)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
