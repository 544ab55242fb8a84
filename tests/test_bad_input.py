"""Bad input found by trying the product as a user: each case ends in a clear FgirError."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image

from fgir.archive import extract_zip
from fgir.cache import GalleryCache
from fgir.errors import CacheError, GalleryError
from fgir.gallery import open_gallery


def _folder_gallery(root: Path, corrupt_only: bool = False) -> Path:
    for name in ("a", "b"):
        folder = root / name
        folder.mkdir(parents=True)
        if corrupt_only:
            (folder / "broken.jpg").write_bytes(b"not a jpeg")
        else:
            Image.new("RGB", (64, 48), (40 * len(name), 90, 120)).save(folder / "one.jpg")
    return root


def test_zip_with_bad_crc_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "crc.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a/x.jpg", b"hello" * 100)
    data = bytearray(archive.read_bytes())
    data[data.find(b"hello")] = ord("j")
    archive.write_bytes(bytes(data))
    with pytest.raises(GalleryError, match="Could not extract"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_with_file_folder_clash_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "clash.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a", b"x")
        handle.writestr("a/b.jpg", b"y")
    with pytest.raises(GalleryError, match="Could not extract"):
        extract_zip(archive, tmp_path / "out")


def test_non_utf8_metadata_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "cub"
    (root / "images").mkdir(parents=True)
    for name in ("images.txt", "image_class_labels.txt", "train_test_split.txt", "classes.txt"):
        (root / name).write_text("", encoding="utf-8")
    (root / "images.txt").write_bytes(b"1 \xff\xfe.jpg\n")
    with pytest.raises(GalleryError, match="not UTF-8"):
        open_gallery(root)


def test_empty_folder_gallery_names_layout(tmp_path: Path) -> None:
    (tmp_path / "flat.jpg").write_bytes(b"")
    with pytest.raises(GalleryError, match="class subfolders"):
        open_gallery(tmp_path)


def test_unwritable_cache_is_cache_error(tmp_path: Path) -> None:
    from fgir.backbones import load_backbone
    from fgir.methods import create_method
    from fgir.pipeline import Retriever

    gallery = open_gallery(_folder_gallery(tmp_path / "gallery"))
    not_a_folder = tmp_path / "cache_is_a_file"
    not_a_folder.write_text("x")
    retriever = Retriever(gallery, create_method("gap"), load_backbone("mobilenet_v2"), GalleryCache(not_a_folder))
    with pytest.raises(CacheError, match="--cache-dir"):
        retriever.prepare()


def test_all_unreadable_gallery_is_error(tmp_path: Path) -> None:
    from fgir.backbones import load_backbone
    from fgir.methods import create_method
    from fgir.pipeline import Retriever

    gallery = open_gallery(_folder_gallery(tmp_path / "gallery", corrupt_only=True))
    retriever = Retriever(gallery, create_method("gap"), load_backbone("mobilenet_v2"), GalleryCache(tmp_path / "cache"))
    with pytest.raises(GalleryError, match="No gallery image could be read"):
        retriever.prepare()


def test_file_as_gallery_named_a_file(tmp_path: Path) -> None:
    image = tmp_path / "bird.jpg"
    Image.new("RGB", (8, 8)).save(image)

    with pytest.raises(GalleryError, match="is a file, not a folder"):
        open_gallery(image)


@pytest.mark.parametrize("option", ["--weights", "--checkpoint"])
def test_app_start_rejects_garbage_file(tmp_path: Path, capsys: pytest.CaptureFixture, option: str) -> None:
    import app

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"garbage")
    value = f"resnet50={garbage}" if option == "--weights" else str(garbage)

    assert app.main([option, value, "--cache-dir", str(tmp_path / "cache")]) == 2

    message = capsys.readouterr().err
    assert "is not a PyTorch" in message
    assert str(garbage) in message
