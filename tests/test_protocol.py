"""Query/gallery splits, CUB metadata checks and PCA-whitening."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from fgir.errors import FgirError, GalleryError
from fgir.evaluation.protocol import (
    PROTOCOL_CUB,
    PROTOCOL_FOLDER,
    cub_official_split,
    folder_holdout_split,
    holdout_query_mask,
)
from fgir.evaluation.whitening import apply_whitening, fit_whitening, load_whitening, save_whitening
from tests.synthetic_data import make_cub_root, make_folder_gallery, replace_line

LABELS = np.array([1] * 10 + [2] * 4 + [3] * 1 + [4] * 2)


def test_holdout_counts_per_class() -> None:
    is_query = holdout_query_mask(LABELS, 0.3, seed=0)
    counts = {label: int(is_query[LABELS == label].sum()) for label in (1, 2, 3, 4)}
    # round(0.3 n), at least 1 and at most n - 1; a single-image class gives none.
    assert counts == {1: 3, 2: 1, 3: 0, 4: 1}


def test_holdout_is_deterministic() -> None:
    first = holdout_query_mask(LABELS, 0.3, seed=0)
    assert np.array_equal(first, holdout_query_mask(LABELS, 0.3, seed=0))


def test_holdout_seed_changes_draw() -> None:
    draws = {tuple(holdout_query_mask(LABELS, 0.5, seed=seed)) for seed in range(5)}
    assert len(draws) > 1


def test_holdout_class_independent_of_others() -> None:
    # Dropping class 2 must not change which images of class 1 are queries.
    full = holdout_query_mask(LABELS, 0.3, seed=3)
    without = LABELS != 2
    assert np.array_equal(full[LABELS == 1], holdout_query_mask(LABELS[without], 0.3, seed=3)[LABELS[without] == 1])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_holdout_rejects_fraction(fraction: float) -> None:
    with pytest.raises(FgirError, match="Invalid query fraction"):
        holdout_query_mask(LABELS, fraction, seed=0)


def test_holdout_rejects_negative_seed() -> None:
    with pytest.raises(FgirError, match="Invalid seed -1"):
        holdout_query_mask(LABELS, 0.3, seed=-1)


def test_folder_split_disjoint(tmp_path: Path) -> None:
    split = folder_holdout_split(make_folder_gallery(tmp_path / "photos"), query_fraction=0.3, seed=0)
    query_paths = {item.relpath for item in split.queries.items}
    gallery_paths = {item.relpath for item in split.gallery.items}
    assert split.protocol == PROTOCOL_FOLDER
    assert len(query_paths) == 3
    assert len(gallery_paths) == 9
    assert not query_paths & gallery_paths


def test_folder_split_fingerprints_differ(tmp_path: Path) -> None:
    root = make_folder_gallery(tmp_path / "photos")
    first = folder_holdout_split(root, query_fraction=0.3, seed=0)
    second = folder_holdout_split(root, query_fraction=0.5, seed=0)
    assert first.gallery.fingerprint() != second.gallery.fingerprint()


def test_folder_split_rejects_cub_root(tmp_path: Path) -> None:
    root = make_cub_root(tmp_path / "cub")
    with pytest.raises(FgirError, match="--cub-root"):
        folder_holdout_split(root)


def test_folder_split_needs_two_images(tmp_path: Path) -> None:
    root = make_folder_gallery(tmp_path / "photos", per_class=1)
    with pytest.raises(FgirError, match="2 or more images"):
        folder_holdout_split(root)


def test_cub_split_train_test(tmp_path: Path) -> None:
    split = cub_official_split(make_cub_root(tmp_path / "cub"))
    assert split.protocol == PROTOCOL_CUB
    assert [item.relpath.endswith(("_1.jpg", "_3.jpg")) for item in split.queries.items] == [True] * 4
    assert [item.relpath.endswith(("_0.jpg", "_2.jpg")) for item in split.gallery.items] == [True] * 4
    assert split.excluded == []


def test_cub_split_rejects_plain_folder(tmp_path: Path) -> None:
    with pytest.raises(GalleryError, match="not a CUB-200-2011 root"):
        cub_official_split(make_folder_gallery(tmp_path / "photos"))


def test_cub_class_range_outside_classes(tmp_path: Path) -> None:
    with pytest.raises(GalleryError, match="outside the class ids 1-2"):
        cub_official_split(make_cub_root(tmp_path / "cub"), "1-5")


def test_cub_inconsistent_images_excluded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = make_cub_root(tmp_path / "cub")
    (root / "images" / "001.astronaut" / "astronaut_1.jpg").unlink()  # image id 2, a test image
    replace_line(root / "image_class_labels.txt", 4, None)  # image id 4, a test image
    replace_line(root / "train_test_split.txt", 5, "5 7")  # image id 5: invalid split flag
    with caplog.at_level(logging.WARNING):
        split = cub_official_split(root)
    assert len(split.excluded) == 3
    assert any("images/001.astronaut/astronaut_1.jpg is missing" in message for message in split.excluded)
    assert any("image id 4" in message and "image_class_labels.txt" in message for message in split.excluded)
    assert any("split flag '7'" in message for message in split.excluded)
    assert len(split.queries.items) == 2
    assert "excluded 3 inconsistent images" in caplog.text


def test_cub_box_outside_image(tmp_path: Path) -> None:
    root = make_cub_root(tmp_path / "cub")
    replace_line(root / "bounding_boxes.txt", 2, "2 500.0 500.0 40.0 40.0")
    split = cub_official_split(root)
    item = next(item for item in split.queries.items if item.relpath.endswith("astronaut_1.jpg"))
    assert item.gt_box is None
    assert len(split.queries.box_problems) == 1
    assert "no area inside the image" in split.queries.box_problems[0]


def test_cub_duplicate_id_stops(tmp_path: Path) -> None:
    root = make_cub_root(tmp_path / "cub")
    with (root / "images.txt").open("a", encoding="utf-8") as handle:
        handle.write("3 001.astronaut/astronaut_0.jpg\n")
    with pytest.raises(GalleryError, match=r"images.txt:9: duplicate id 3"):
        cub_official_split(root)


def test_cub_duplicate_path_excluded(tmp_path: Path) -> None:
    root = make_cub_root(tmp_path / "cub")
    replace_line(root / "images.txt", 4, "4 001.astronaut/astronaut_1.jpg")
    split = cub_official_split(root)
    assert any("already listed as image id 2" in message for message in split.excluded)


def test_whitening_decorrelates_gallery() -> None:
    generator = np.random.default_rng(0)
    data = generator.normal(size=(200, 6)) @ generator.normal(size=(6, 6)) + 3.0
    whitening = fit_whitening(data)
    projected = (data - whitening.mean) @ whitening.projection
    np.testing.assert_allclose(np.cov(projected, rowvar=False), np.eye(6), atol=1e-3)


def test_whitening_output_unit_norm() -> None:
    data = np.random.default_rng(1).normal(size=(50, 8)).astype(np.float32)
    whitened = apply_whitening(fit_whitening(data, dim=4), data)
    assert whitened.shape == (50, 4)
    np.testing.assert_allclose(np.linalg.norm(whitened, axis=1), np.ones(50), rtol=1e-5)


def test_whitening_rejects_dimension() -> None:
    with pytest.raises(ValueError, match="use 1 to 4"):
        fit_whitening(np.zeros((5, 8)), dim=6)


def test_whitening_round_trip(tmp_path: Path) -> None:
    whitening = fit_whitening(np.random.default_rng(2).normal(size=(30, 5)), dim=3)
    save_whitening(tmp_path, whitening)
    loaded = load_whitening(tmp_path, 3, 5)
    assert loaded is not None
    np.testing.assert_array_equal(loaded.projection, whitening.projection)
    assert load_whitening(tmp_path, 3, 6) is None
    assert load_whitening(tmp_path, 2, 5) is None
