"""Shared fixtures: real sample photos, a CUB root when available, temporary caches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image

CUB_ENV = "FGIR_CUB_ROOT"
# Set by .ci/run when the CUB data sits beside the checkout: a missing root then fails instead of skipping.
REQUIRE_CUB_ENV = "FGIR_REQUIRE_CUB"


@pytest.fixture(scope="session")
def cub_root() -> Path:
    value = os.environ.get(CUB_ENV)
    if not value:
        if os.environ.get(REQUIRE_CUB_ENV) == "1":
            pytest.fail(f"{REQUIRE_CUB_ENV}=1 but {CUB_ENV} is not set")
        pytest.skip(f"{CUB_ENV} is not set: point it at a CUB-200-2011 root to run the CUB tests")
    root = Path(value)
    if not (root / "images.txt").is_file():
        pytest.fail(f"{CUB_ENV}={root} is not a CUB-200-2011 root (images.txt missing)")
    return root


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point FGIR_CACHE_DIR at a fresh folder so no test touches gallery_cache/."""
    folder = tmp_path_factory.mktemp("gallery_cache")
    monkeypatch.setenv("FGIR_CACHE_DIR", str(folder))
    return folder


# Sample photos bundled inside the scikit-image wheel (public domain or CC0): no download needed.
SAMPLE_PHOTO_NAMES = ("astronaut", "chelsea", "coffee", "rocket")


@pytest.fixture(scope="session")
def sample_photos() -> dict[str, Image.Image]:
    """Real RGB photos from ``skimage.data``, keyed by name."""
    import skimage.data  # Imported here: only the tests that use real photos pay for it.

    return {name: Image.fromarray(getattr(skimage.data, name)()) for name in SAMPLE_PHOTO_NAMES}


@pytest.fixture(scope="session")
def mobilenet():
    """The default backbone with its offline ImageNet weights, never random weights."""
    from fgir.backbones import load_backbone

    return load_backbone("mobilenet_v2", allow_random=False)


def write_noise_image(path: Path, width: int, height: int, seed: int) -> Path:
    """Write a small random-noise RGB image. The suffix picks the format."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def write_image() -> Callable[[Path, int, int, int], Path]:
    """The :func:`write_noise_image` helper, for tests that build their own galleries."""
    return write_noise_image


@pytest.fixture
def folder_gallery_root(tmp_path: Path) -> Path:
    """A folder gallery: class subfolders ``a_class`` (4 images) and ``b_class`` (3 images)."""
    root = tmp_path / "folder_gallery"
    for index in range(4):
        write_noise_image(root / "a_class" / f"a{index}.jpg", 48, 40, seed=index)
    for index in range(3):
        write_noise_image(root / "b_class" / f"b{index}.png", 40, 56, seed=100 + index)
    return root


# Synthetic CUB-200-2011 root: (image id, class id, is_training_image, width, height, x, y, box width, box height).
# Ids are not contiguous, and image 8's box runs past the right and bottom border of its 50x40 image.
SYNTHETIC_CUB_IMAGES = (
    (3, 1, 1, 40, 30, 2.0, 3.0, 20.0, 15.0),
    (7, 1, 0, 40, 30, 0.0, 0.0, 40.0, 30.0),
    (8, 2, 1, 50, 40, 30.0, 25.0, 30.0, 30.0),
    (12, 2, 0, 50, 40, 5.0, 5.0, 10.0, 10.0),
    (20, 3, 1, 36, 36, 1.0, 1.0, 30.0, 30.0),
    (21, 3, 0, 36, 36, 4.0, 4.0, 8.0, 8.0),
    (35, 1, 1, 40, 30, 10.0, 10.0, 5.0, 5.0),
)
SYNTHETIC_CUB_CLASSES = {1: "001.Alpha_bird", 2: "002.Beta_bird", 3: "003.Gamma_bird"}


def synthetic_cub_relpath(image_id: int, class_id: int) -> str:
    return f"{SYNTHETIC_CUB_CLASSES[class_id]}/{SYNTHETIC_CUB_CLASSES[class_id].split('.')[1]}_{image_id:04d}.jpg"


@pytest.fixture
def synthetic_cub(tmp_path: Path) -> Path:
    """A tiny CUB-200-2011 root in the official file formats (see ``SYNTHETIC_CUB_IMAGES``).

    The lines of image_class_labels.txt and train_test_split.txt are in reverse id order, so a
    reader that matches lines by position instead of by id gets wrong labels.
    """
    root = tmp_path / "CUB_200_2011"
    images, labels, splits, boxes = [], [], [], []
    for image_id, class_id, is_train, width, height, x, y, box_width, box_height in SYNTHETIC_CUB_IMAGES:
        relpath = synthetic_cub_relpath(image_id, class_id)
        write_noise_image(root / "images" / relpath, width, height, seed=image_id)
        images.append(f"{image_id} {relpath}")
        labels.append(f"{image_id} {class_id}")
        splits.append(f"{image_id} {is_train}")
        boxes.append(f"{image_id} {x} {y} {box_width} {box_height}")
    (root / "images.txt").write_text("\n".join(images) + "\n")
    (root / "image_class_labels.txt").write_text("\n".join(reversed(labels)) + "\n")
    (root / "train_test_split.txt").write_text("\n".join(reversed(splits)) + "\n")
    (root / "bounding_boxes.txt").write_text("\n".join(boxes) + "\n")
    (root / "classes.txt").write_text("".join(f"{key} {name}\n" for key, name in SYNTHETIC_CUB_CLASSES.items()))
    return root
