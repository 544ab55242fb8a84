"""``python -m fgir export-space`` and the content fingerprint, on tiny generated galleries.

The galleries are the conftest fixtures ``folder_gallery_root`` (a_class: 4 JPEGs, b_class:
3 PNGs) and ``synthetic_cub``. In the latter, class 1 has image ids 3, 7 and 35, class 2 has 8
and 12, class 3 has 20 and 21, and 7, 12 and 21 are test images. Indexing uses MobileNetV2
with its offline weights.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fgir.backbones import load_backbone
from fgir.cache import GalleryCache
from fgir.commands import main
from fgir.errors import FgirError, GalleryError
from fgir.gallery import open_gallery
from fgir.methods import create_method
from fgir.pipeline import Retriever
from fgir.space_export import (
    CACHE_DIR_NAME,
    GALLERY_DIR_NAME,
    LFS_ATTRIBUTES,
    SPACE_CONFIG_NAME,
    export_space,
    load_space_config,
    open_space_gallery,
)

METHOD = "wmtl"
BACKBONE = "mobilenet_v2"
# An mtime far from the export time, in nanoseconds since the epoch.
OLD_MTIME_NS = 1_000_000_000 * 10**9
GIT_TIMEOUT_S = 60


def _retriever_for(config_path: Path) -> tuple[Retriever, GalleryCache]:
    config = load_space_config(config_path)
    cache = GalleryCache(config.cache_dir)
    retriever = Retriever(
        open_space_gallery(config), create_method(config.method), load_backbone(config.backbone), cache
    )
    return retriever, cache


def _is_cache_hit(config_path: Path) -> bool:
    retriever, cache = _retriever_for(config_path)
    return cache.load(retriever.key, retriever.gallery) is not None


def _git(arguments: list[str], cwd: Path, home: Path) -> None:
    # A private HOME and no system config: no user setting (such as an LFS filter) changes the files.
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *arguments], cwd=cwd, env=env, check=True, capture_output=True, timeout=GIT_TIMEOUT_S)


# --- folder galleries -----------------------------------------------------------------------


def test_folder_export_writes_ready_cache(folder_gallery_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "space"

    summary = export_space(folder_gallery_root, out, classes="1-2", per_class=3, method=METHOD, backbone=BACKBONE)

    gallery_dir = out / GALLERY_DIR_NAME
    assert sorted(path.name for path in gallery_dir.iterdir()) == ["a_class", "b_class"]
    assert len(list((gallery_dir / "a_class").iterdir())) == 3
    assert len(list((gallery_dir / "b_class").iterdir())) == 3
    assert summary.gallery_images == 6
    assert summary.indexed == 6
    assert summary.query_images == 0

    data = json.loads((out / SPACE_CONFIG_NAME).read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["gallery"] == GALLERY_DIR_NAME
    assert data["cache_dir"] == CACHE_DIR_NAME
    assert data["split"] == "all"
    assert data["classes"] is None
    assert data["fingerprint_mode"] == "content"
    assert (data["method"], data["backbone"]) == (METHOD, BACKBONE)
    assert data["weights_id"] == load_backbone(BACKBONE).weights_id
    assert data["images"] == 6
    assert [path.name for path in (out / CACHE_DIR_NAME).iterdir()] == [data["cache_entry"]]
    assert _is_cache_hit(out / SPACE_CONFIG_NAME)


def test_export_writes_lfs_patterns(folder_gallery_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "space"
    out.mkdir()
    (out / ".gitattributes").write_text(f"*.npy {LFS_ATTRIBUTES}", encoding="utf-8")

    export_space(folder_gallery_root, out, per_class=1, method=METHOD, backbone=BACKBONE)

    lines = (out / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert lines == [f"*.npy {LFS_ATTRIBUTES}", f"*.jpg {LFS_ATTRIBUTES}", f"*.png {LFS_ATTRIBUTES}"]


def test_export_survives_git_clone(folder_gallery_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "space"
    export_space(folder_gallery_root, out, per_class=2, method=METHOD, backbone=BACKBONE)
    home = tmp_path / "home"
    home.mkdir()
    _git(["init", "-q"], out, home)
    _git(["add", "."], out, home)
    _git(
        ["-c", "user.name=fgir test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "export"],
        out,
        home,
    )
    clone = tmp_path / "clone"
    _git(["clone", "-q", str(out), str(clone)], tmp_path, home)
    for image in (clone / GALLERY_DIR_NAME).rglob("*.*"):
        os.utime(image, ns=(OLD_MTIME_NS, OLD_MTIME_NS))

    assert _is_cache_hit(clone / SPACE_CONFIG_NAME)
    original, _ = _retriever_for(out / SPACE_CONFIG_NAME)
    cloned, _ = _retriever_for(clone / SPACE_CONFIG_NAME)
    assert original.gallery.fingerprint("stat") != cloned.gallery.fingerprint("stat"), "the default key would miss"


def test_export_space_cli(folder_gallery_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "space"

    code = main(
        [
            "export-space",
            "--gallery",
            str(folder_gallery_root),
            "--per-class",
            "2",
            "--out",
            str(out),
            "--method",
            METHOD,
        ]
    )

    assert code == 0
    assert str(out / SPACE_CONFIG_NAME) in capsys.readouterr().out
    assert load_space_config(out / SPACE_CONFIG_NAME).images == 4


# --- CUB roots ------------------------------------------------------------------------------


def _lines_by_id(path: Path) -> dict[int, str]:
    return {int(line.split()[0]): line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def test_cub_export_keeps_ids_boxes_and_queries(synthetic_cub: Path, tmp_path: Path) -> None:
    out = tmp_path / "space"

    summary = export_space(
        synthetic_cub, out, classes="1-2", per_class=1, queries_per_class=1, method=METHOD, backbone=BACKBONE
    )

    root = out / GALLERY_DIR_NAME
    assert (summary.gallery_images, summary.query_images) == (2, 2)
    assert set(_lines_by_id(root / "images.txt")) == {3, 7, 8, 12}
    for table in ("images.txt", "bounding_boxes.txt", "image_class_labels.txt", "train_test_split.txt"):
        source_lines = _lines_by_id(synthetic_cub / table)
        assert _lines_by_id(root / table) == {key: source_lines[key] for key in (3, 7, 8, 12)}, table
    assert set(_lines_by_id(root / "classes.txt")) == {1, 2}

    source_boxes = {item.relpath: item.gt_box for item in open_gallery(synthetic_cub, "all").items}
    exported = open_gallery(root, "train")
    assert [item.label for item in exported.items] == [1, 2]
    assert all(item.gt_box == source_boxes[item.relpath] for item in exported.items)
    assert len(open_gallery(root, "test").items) == 2
    assert load_space_config(out / SPACE_CONFIG_NAME).split == "train"
    assert _is_cache_hit(out / SPACE_CONFIG_NAME)


def test_cub_export_of_one_class(synthetic_cub: Path, tmp_path: Path) -> None:
    out = tmp_path / "space"

    summary = export_space(synthetic_cub, out, classes="3", method=METHOD, backbone=BACKBONE)

    assert (summary.gallery_images, summary.query_images) == (1, 1)
    assert set(_lines_by_id(out / GALLERY_DIR_NAME / "classes.txt")) == {3}
    assert _is_cache_hit(out / SPACE_CONFIG_NAME)


# --- rejected requests ----------------------------------------------------------------------


def test_export_rejects_existing_gallery(folder_gallery_root: Path, tmp_path: Path) -> None:
    (tmp_path / "space" / GALLERY_DIR_NAME).mkdir(parents=True)

    with pytest.raises(FgirError, match="already exists"):
        export_space(folder_gallery_root, tmp_path / "space", method=METHOD, backbone=BACKBONE)


def test_export_rejects_out_inside_source(folder_gallery_root: Path) -> None:
    with pytest.raises(FgirError, match="inside the source gallery"):
        export_space(folder_gallery_root, folder_gallery_root / "space", method=METHOD, backbone=BACKBONE)
    assert not (folder_gallery_root / "space").exists()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"per_class": 0}, "Invalid --per-class"),
        ({"queries_per_class": 1}, "Drop --queries-per-class"),
        ({"batch_size": 0}, "Invalid --batch-size"),
    ],
)
def test_export_rejects_bad_options(folder_gallery_root: Path, tmp_path: Path, options: dict, expected: str) -> None:
    with pytest.raises(FgirError, match=expected):
        export_space(folder_gallery_root, tmp_path / "space", method=METHOD, backbone=BACKBONE, **options)
    assert not (tmp_path / "space").exists()


def test_queries_rejected_for_cub_test_split(synthetic_cub: Path, tmp_path: Path) -> None:
    with pytest.raises(FgirError, match="--split train"):
        export_space(
            synthetic_cub, tmp_path / "space", split="test", queries_per_class=1, method=METHOD, backbone=BACKBONE
        )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "not found"),
        ("{not json", "Could not read"),
        ('{"format": 2}', "format 2"),
        (
            '{"format": 1, "gallery": "g", "split": "all", "classes": null, "method": "nope", '
            '"backbone": "mobilenet_v2", "cache_dir": "c", "fingerprint_mode": "content"}',
            "invalid method 'nope'",
        ),
        ('{"format": 1, "split": "all"}', "'gallery' is missing"),
    ],
)
def test_load_space_config_rejects_bad_files(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / SPACE_CONFIG_NAME
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(FgirError, match=expected):
        load_space_config(path)


# --- fingerprint modes ----------------------------------------------------------------------


def test_default_fingerprint_is_stat_mode(folder_gallery_root: Path) -> None:
    gallery = open_gallery(folder_gallery_root)

    assert gallery.fingerprint_mode == "stat"
    assert gallery.fingerprint() == gallery.fingerprint("stat")
    assert gallery.fingerprint("content") != gallery.fingerprint("stat")


def test_content_fingerprint_ignores_mtime(folder_gallery_root: Path) -> None:
    gallery = open_gallery(folder_gallery_root)
    before = gallery.fingerprint("content")
    stat_before = gallery.fingerprint("stat")

    os.utime(gallery.path_of(gallery.items[0]), ns=(OLD_MTIME_NS, OLD_MTIME_NS))

    assert gallery.fingerprint("content") == before
    assert gallery.fingerprint("stat") != stat_before


def test_content_fingerprint_tracks_bytes(folder_gallery_root: Path) -> None:
    gallery = open_gallery(folder_gallery_root)
    gallery.fingerprint_mode = "content"
    before = gallery.fingerprint()
    path = gallery.path_of(gallery.items[0])

    path.write_bytes(path.read_bytes() + b"\0")

    assert gallery.fingerprint() != before


def test_unknown_fingerprint_mode_rejected(folder_gallery_root: Path) -> None:
    with pytest.raises(GalleryError, match="Invalid fingerprint mode 'mtime'"):
        open_gallery(folder_gallery_root).fingerprint("mtime")
