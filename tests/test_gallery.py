"""Gallery sources: a synthetic CUB-200-2011 root (see conftest.py) and folders of class subfolders."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import pytest

from fgir.errors import GalleryError
from fgir.gallery import open_gallery, parse_class_range

ALPHA_3 = "001.Alpha_bird/Alpha_bird_0003.jpg"
ALPHA_7 = "001.Alpha_bird/Alpha_bird_0007.jpg"
BETA_8 = "002.Beta_bird/Beta_bird_0008.jpg"
BETA_12 = "002.Beta_bird/Beta_bird_0012.jpg"
GAMMA_20 = "003.Gamma_bird/Gamma_bird_0020.jpg"
GAMMA_21 = "003.Gamma_bird/Gamma_bird_0021.jpg"
ALPHA_35 = "001.Alpha_bird/Alpha_bird_0035.jpg"


def _relpaths(gallery) -> list[str]:
    return [item.relpath for item in gallery.items]


def _item(gallery, relpath: str):
    return next(item for item in gallery.items if item.relpath == relpath)


def test_cub_default_split_is_train(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub)

    assert gallery.kind == "cub"
    assert gallery.split == "train"
    assert _relpaths(gallery) == [ALPHA_3, BETA_8, GAMMA_20, ALPHA_35]


def test_cub_labels_matched_by_id(synthetic_cub: Path) -> None:
    # The label and split files list ids in reverse order, so matching by line position would fail.
    gallery = open_gallery(synthetic_cub)

    assert [item.label for item in gallery.items] == [1, 2, 3, 1]
    assert [item.class_name for item in gallery.items] == [
        "001.Alpha_bird",
        "002.Beta_bird",
        "003.Gamma_bird",
        "001.Alpha_bird",
    ]


def test_cub_image_root(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub)

    assert gallery.path_of(gallery.items[0]) == synthetic_cub / "images" / ALPHA_3


def test_cub_test_split(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub, split="test")

    assert _relpaths(gallery) == [ALPHA_7, BETA_12, GAMMA_21]


def test_cub_all_split(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub, split="all")

    assert _relpaths(gallery) == [ALPHA_3, ALPHA_7, BETA_8, BETA_12, GAMMA_20, GAMMA_21, ALPHA_35]


def test_cub_class_range(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub, split="train", classes="2-3")

    assert gallery.classes == (2, 3)
    assert _relpaths(gallery) == [BETA_8, GAMMA_20]


def test_cub_single_class(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub, split="all", classes="1")

    assert _relpaths(gallery) == [ALPHA_3, ALPHA_7, ALPHA_35]


def test_cub_class_range_tuple(synthetic_cub: Path) -> None:
    gallery = open_gallery(synthetic_cub, split="test", classes=(3, 3))

    assert _relpaths(gallery) == [GAMMA_21]


def test_cub_box_converted_to_corners(synthetic_cub: Path) -> None:
    # bounding_boxes.txt has "3 2.0 3.0 20.0 15.0": x, y, width, height -> x0, y0, x1, y1.
    gallery = open_gallery(synthetic_cub)

    assert _item(gallery, ALPHA_3).gt_box == (2.0, 3.0, 22.0, 18.0)


def test_cub_box_clipped_to_image(synthetic_cub: Path) -> None:
    # Image 8 is 50 x 40 with box "30 25 30 30", which ends at (60, 55): clipped to (50, 40).
    gallery = open_gallery(synthetic_cub)

    assert _item(gallery, BETA_8).gt_box == (30.0, 25.0, 50.0, 40.0)


def test_cub_without_boxes_file(synthetic_cub: Path) -> None:
    (synthetic_cub / "bounding_boxes.txt").unlink()

    gallery = open_gallery(synthetic_cub)

    assert [item.gt_box for item in gallery.items] == [None, None, None, None]


def test_cub_duplicate_id_rejected(synthetic_cub: Path) -> None:
    with (synthetic_cub / "images.txt").open("a") as handle:
        handle.write(f"8 {ALPHA_3}\n")

    with pytest.raises(GalleryError) as caught:
        open_gallery(synthetic_cub)

    assert "duplicate id 8" in str(caught.value)
    assert "images.txt" in str(caught.value)


def test_cub_wrong_field_count_rejected(synthetic_cub: Path) -> None:
    with (synthetic_cub / "bounding_boxes.txt").open("a") as handle:
        handle.write("40 1.0 2.0 3.0\n")

    with pytest.raises(GalleryError) as caught:
        open_gallery(synthetic_cub)

    assert "bounding_boxes.txt" in str(caught.value)
    assert "expected 5 fields" in str(caught.value)


def test_cub_invalid_label_rejected(synthetic_cub: Path) -> None:
    path = synthetic_cub / "image_class_labels.txt"
    path.write_text(path.read_text().replace("3 1\n", "3 one\n"))

    with pytest.raises(GalleryError) as caught:
        open_gallery(synthetic_cub)

    assert "'one'" in str(caught.value)


def test_cub_missing_image_excluded(synthetic_cub: Path, caplog: pytest.LogCaptureFixture) -> None:
    (synthetic_cub / "images" / GAMMA_20).unlink()

    with caplog.at_level(logging.WARNING, logger="fgir.gallery"):
        gallery = open_gallery(synthetic_cub)

    assert _relpaths(gallery) == [ALPHA_3, BETA_8, ALPHA_35]
    assert GAMMA_20 in caplog.text


def test_cub_problem_warned_once(synthetic_cub: Path, caplog: pytest.LogCaptureFixture) -> None:
    (synthetic_cub / "images" / GAMMA_20).unlink()

    with caplog.at_level(logging.WARNING, logger="fgir.gallery"):
        first = open_gallery(synthetic_cub, split="all")
        second = open_gallery(synthetic_cub, split="all")

    warnings = [record for record in caplog.records if GAMMA_20 in record.getMessage()]
    assert len(warnings) == 1
    assert first.excluded == second.excluded


def test_cub_unlabelled_id_excluded(synthetic_cub: Path, caplog: pytest.LogCaptureFixture) -> None:
    with (synthetic_cub / "images.txt").open("a") as handle:
        handle.write("40 001.Alpha_bird/Alpha_bird_0040.jpg\n")

    with caplog.at_level(logging.WARNING, logger="fgir.gallery"):
        gallery = open_gallery(synthetic_cub, split="all")

    assert len(gallery.items) == 7
    assert "image id 40" in caplog.text


def test_cub_unreadable_image_opens(synthetic_cub: Path) -> None:
    # Clipping reads the image header. An unreadable image gets no box and is left for indexing to report.
    (synthetic_cub / "images" / BETA_8).write_text("not a jpeg")

    gallery = open_gallery(synthetic_cub)

    assert _item(gallery, BETA_8).gt_box is None


def test_cub_empty_selection_rejected(synthetic_cub: Path) -> None:
    # Class 3 keeps its test image 21 but loses its only training image 20.
    path = synthetic_cub / "train_test_split.txt"
    path.write_text(path.read_text().replace("20 1\n", "20 0\n"))

    with pytest.raises(GalleryError) as caught:
        open_gallery(synthetic_cub, split="train", classes="3")

    assert "No images found" in str(caught.value)


@pytest.mark.parametrize("text", ["0-3", "3-1", "a-b", "1-2-3", "-2", "1-", "x"])
def test_class_range_invalid(text: str) -> None:
    with pytest.raises(GalleryError) as caught:
        parse_class_range(text)

    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1-100", (1, 100)), ("7", (7, 7)), (" 2-5 ", (2, 5)), ("", None), (None, None)],
)
def test_class_range_valid(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_class_range(text) == expected


@pytest.mark.parametrize("root_fixture", ["synthetic_cub", "folder_gallery_root"])
def test_invalid_split_rejected(root_fixture: str, request: pytest.FixtureRequest) -> None:
    root = request.getfixturevalue(root_fixture)

    with pytest.raises(GalleryError) as caught:
        open_gallery(root, split="val")

    assert "'val'" in str(caught.value)


def test_folder_split_test_rejected(folder_gallery_root: Path) -> None:
    with pytest.raises(GalleryError) as caught:
        open_gallery(folder_gallery_root, split="test")

    assert "--split all" in str(caught.value)


def test_missing_root_rejected(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(GalleryError) as caught:
        open_gallery(missing)

    assert str(missing) in str(caught.value)


def test_folder_gallery_classes(folder_gallery_root: Path, write_image: Callable) -> None:
    # Hidden folders and non-image files are ignored. Images in nested folders keep the top-level class.
    write_image(folder_gallery_root / ".thumbnails" / "t.jpg", 8, 8, 0)
    write_image(folder_gallery_root / "b_class" / "nested" / "b9.jpg", 8, 8, 9)
    (folder_gallery_root / "a_class" / "notes.txt").write_text("not an image")

    gallery = open_gallery(folder_gallery_root)

    assert gallery.kind == "folder"
    assert gallery.split == "all"
    assert _relpaths(gallery) == [
        "a_class/a0.jpg",
        "a_class/a1.jpg",
        "a_class/a2.jpg",
        "a_class/a3.jpg",
        "b_class/b0.png",
        "b_class/b1.png",
        "b_class/b2.png",
        "b_class/nested/b9.jpg",
    ]
    assert [item.label for item in gallery.items] == [1, 1, 1, 1, 2, 2, 2, 2]
    assert gallery.class_names() == {1: "a_class", 2: "b_class"}
    assert all(item.gt_box is None for item in gallery.items)


def test_folder_class_range(folder_gallery_root: Path) -> None:
    gallery = open_gallery(folder_gallery_root, classes="2")

    assert _relpaths(gallery) == ["b_class/b0.png", "b_class/b1.png", "b_class/b2.png"]


def test_folder_without_subfolders_rejected(tmp_path: Path, write_image: Callable) -> None:
    write_image(tmp_path / "loose.jpg", 8, 8, 0)

    with pytest.raises(GalleryError) as caught:
        open_gallery(tmp_path)

    assert "No images found" in str(caught.value)


def test_fingerprint_stable(folder_gallery_root: Path) -> None:
    assert open_gallery(folder_gallery_root).fingerprint() == open_gallery(folder_gallery_root).fingerprint()


def test_fingerprint_file_content(folder_gallery_root: Path, write_image: Callable) -> None:
    before = open_gallery(folder_gallery_root).fingerprint()
    write_image(folder_gallery_root / "a_class" / "a1.jpg", 64, 64, 77)

    assert open_gallery(folder_gallery_root).fingerprint() != before


def test_fingerprint_file_mtime(folder_gallery_root: Path) -> None:
    before = open_gallery(folder_gallery_root).fingerprint()
    path = folder_gallery_root / "a_class" / "a1.jpg"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert open_gallery(folder_gallery_root).fingerprint() != before


def test_fingerprint_added_image(folder_gallery_root: Path, write_image: Callable) -> None:
    before = open_gallery(folder_gallery_root).fingerprint()
    write_image(folder_gallery_root / "b_class" / "b3.png", 8, 8, 3)

    assert open_gallery(folder_gallery_root).fingerprint() != before


def test_fingerprint_selection(synthetic_cub: Path) -> None:
    train = open_gallery(synthetic_cub, split="train").fingerprint()
    first_class = open_gallery(synthetic_cub, split="train", classes="1-3").fingerprint()

    assert train != first_class
    assert train != open_gallery(synthetic_cub, split="test").fingerprint()


def test_fingerprint_relabel(synthetic_cub: Path) -> None:
    before = open_gallery(synthetic_cub, split="all").fingerprint()
    path = synthetic_cub / "image_class_labels.txt"
    path.write_text(path.read_text().replace("35 1\n", "35 2\n"))

    assert open_gallery(synthetic_cub, split="all").fingerprint() != before
