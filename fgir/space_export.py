"""Export a small gallery with a ready cache for a Hugging Face Space: ``python -m fgir export-space``.

:func:`export_space` writes, under the output folder OUT:

- ``OUT/gallery/``: copies of the chosen images. A CUB-200-2011 source becomes a trimmed CUB
  root that keeps the official image and class ids, the split flags and the boxes, and, for the
  train split, a few test images per class that the app offers as example queries. A folder
  source becomes a folder of class subfolders, whose class ids the app numbers from 1 again.
- ``OUT/gallery_cache/``: one cache entry for the gallery, method and backbone. It is keyed with
  the content fingerprint (SHA-256 of the image bytes, see ``Gallery.fingerprint``) because a
  git clone of the Space gives every file a new mtime, which would invalidate the default key.
- ``OUT/space.json``: the contract below.
- ``OUT/.gitattributes``: Git LFS patterns for the images and ``.npy`` arrays, appended when
  missing, because the Hugging Face Hub rejects pushes with binary files outside LFS.

``space.json``, format 1. Paths are relative to the folder that contains ``space.json``::

    {
      "format": 1,
      "gallery": "gallery",              # pass to open_gallery
      "split": "train",                  # "all" for a folder gallery
      "classes": null,                   # class range as open_gallery takes it; null keeps all
      "fingerprint_mode": "content",     # set on the opened Gallery before building a Retriever
      "cache_dir": "gallery_cache",      # pass to GalleryCache
      "method": "wmtl",                  # the indexed method, with its default options
      "backbone": "mobilenet_v2",
      "weights_id": "...",               # Backbone.weights_id used for indexing
      "cache_entry": "wmtl-mobilenet_v2-0123456789abcdef",  # folder name under cache_dir
      "images": 40                       # gallery images indexed
    }

An app reads it with :func:`load_space_config`, opens the gallery with
:func:`open_space_gallery` and builds ``Retriever(gallery, create_method(method),
load_backbone(backbone), GalleryCache(cache_dir))``. ``prepare()`` then loads the cache entry
without indexing, as long as the backbone resolves to the same ``weights_id``; otherwise it
indexes the gallery again at start.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fgir.backbones import BACKBONES, load_backbone
from fgir.cache import GalleryCache
from fgir.download import write_metadata_subset
from fgir.errors import FgirError, GalleryError
from fgir.gallery import FINGERPRINT_MODES, SPLITS, Gallery, GalleryItem, open_gallery
from fgir.methods import METHODS, create_method
from fgir.pipeline import Retriever

logger = logging.getLogger(__name__)

SPACE_CONFIG_NAME = "space.json"
SPACE_FORMAT = 1
GALLERY_DIR_NAME = "gallery"
CACHE_DIR_NAME = "gallery_cache"
FINGERPRINT_MODE = "content"
# Test images copied per class as example queries when a CUB train split is exported.
DEFAULT_QUERIES_PER_CLASS = 2
DEFAULT_BATCH_SIZE = 32
# Image tables that the trimmed CUB root keeps: those open_gallery reads. classes.txt is always kept.
EXPORTED_CUB_TABLES = ("images.txt", "image_class_labels.txt", "train_test_split.txt", "bounding_boxes.txt")
LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SpaceConfig:
    """The contents of ``space.json`` with its paths resolved."""

    gallery: Path
    split: str
    classes: str | None
    method: str
    backbone: str
    cache_dir: Path
    fingerprint_mode: str = FINGERPRINT_MODE
    weights_id: str | None = None
    cache_entry: str | None = None
    images: int | None = None


@dataclass
class ExportSummary:
    """Paths and counts of one :func:`export_space` run."""

    config_path: Path
    config: SpaceConfig
    gallery_images: int
    query_images: int
    indexed: int
    bytes_copied: int
    failed: list[tuple[str, str]] = field(default_factory=list)  # (relpath, reason) of unreadable images


def load_space_config(path: str | Path) -> SpaceConfig:
    """Read and validate ``space.json``, resolving relative paths against its folder."""
    path = Path(path).expanduser().resolve()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FgirError(f"Space config not found: {path}. Create it with python -m fgir export-space.") from None
    except (OSError, ValueError) as error:
        raise FgirError(
            f"Could not read the space config {path}: {error}. Export it again with python -m fgir export-space."
        ) from error
    if not isinstance(data, dict) or data.get("format") != SPACE_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise FgirError(f"{path}: format {found!r} is not {SPACE_FORMAT}. Export it again with this version of fgir.")

    def required(key: str, allowed: object = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise FgirError(
                f"{path}: {key!r} is missing or not a string. Export it again with python -m fgir export-space."
            )
        if allowed is not None and value not in allowed:
            raise FgirError(f"{path}: invalid {key} {value!r}. Use one of: {', '.join(sorted(allowed))}.")
        return value

    classes = data.get("classes")
    if classes is not None and not isinstance(classes, str):
        raise FgirError(f"{path}: invalid classes {classes!r}. Use null or a range string such as '1-10'.")
    images = data.get("images")
    return SpaceConfig(
        gallery=path.parent / required("gallery"),
        split=required("split", SPLITS),
        classes=classes,
        method=required("method", METHODS),
        backbone=required("backbone", BACKBONES),
        cache_dir=path.parent / required("cache_dir"),
        fingerprint_mode=required("fingerprint_mode", FINGERPRINT_MODES),
        weights_id=data.get("weights_id"),
        cache_entry=data.get("cache_entry"),
        images=images if isinstance(images, int) else None,
    )


def open_space_gallery(config: SpaceConfig) -> Gallery:
    """Open the exported gallery with the fingerprint mode its cache was keyed with."""
    gallery = open_gallery(config.gallery, config.split, config.classes)
    gallery.fingerprint_mode = config.fingerprint_mode
    return gallery


def export_space(
    gallery_path: str | Path,
    out: str | Path,
    split: str | None = None,
    classes: str | None = None,
    per_class: int | None = None,
    queries_per_class: int | None = None,
    method: str = "wmtl",
    backbone: str = "mobilenet_v2",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> ExportSummary:
    """Copy a subset of a gallery into ``out``, index it there and write ``space.json``.

    ``per_class`` keeps the first N images of each class in gallery order (None keeps all).
    ``queries_per_class`` applies to a CUB train split only; None means
    :data:`DEFAULT_QUERIES_PER_CLASS` there and 0 elsewhere.
    """
    if per_class is not None and per_class < 1:
        raise FgirError(f"Invalid --per-class {per_class}. Pass a positive number of images per class, e.g. 10.")
    if queries_per_class is not None and queries_per_class < 0:
        raise FgirError(f"Invalid --queries-per-class {queries_per_class}. Pass 0 or more.")
    if batch_size < 1:
        raise FgirError(f"Invalid --batch-size {batch_size}. Use a positive number such as 32.")

    source = open_gallery(gallery_path, split, classes)
    out = Path(out).expanduser().resolve()
    gallery_dir = out / GALLERY_DIR_NAME
    config_path = out / SPACE_CONFIG_NAME
    _check_output(out, gallery_dir, config_path, source)
    queries_per_class = _resolve_queries_per_class(source, queries_per_class)

    # Loaded before copying, so that missing weights fail before anything is written.
    retrieval_method = create_method(method)
    model = load_backbone(backbone, None, allow_random=False)

    selected = first_per_class(source.items, per_class)
    queries: list[GalleryItem] = []
    if queries_per_class:
        test_split = open_gallery(source.image_root.parent, "test", source.classes)
        labels = {item.label for item in selected}
        queries = first_per_class([item for item in test_split.items if item.label in labels], queries_per_class)

    out.mkdir(parents=True, exist_ok=True)
    bytes_copied = _copy_gallery(source, selected, queries, gallery_dir)
    try:
        exported = open_gallery(gallery_dir, source.split if source.kind == "cub" else "all", None)
        exported.fingerprint_mode = FINGERPRINT_MODE
        if len(exported.items) != len(selected):
            raise GalleryError(
                f"The exported gallery {gallery_dir} has {len(exported.items)} images instead of {len(selected)}. "
                "Check the source gallery's metadata."
            )
        retriever = Retriever(exported, retrieval_method, model, GalleryCache(out / CACHE_DIR_NAME))
        embeddings = retriever.prepare(progress=progress, batch_size=batch_size)
    except BaseException:
        # The copied images are useless without space.json. A rerun copies them again and, because the
        # content fingerprint does not change, resumes from the indexing chunks kept in the cache.
        shutil.rmtree(gallery_dir, ignore_errors=True)
        raise

    key = retriever.key
    config = SpaceConfig(
        gallery=gallery_dir,
        split=exported.split,
        classes=None,
        method=method,
        backbone=backbone,
        cache_dir=out / CACHE_DIR_NAME,
        fingerprint_mode=FINGERPRINT_MODE,
        weights_id=model.weights_id,
        cache_entry=key.folder_name(),
        images=len(exported.items),
    )
    _write_config(config_path, config)
    _add_lfs_patterns(out / ".gitattributes", exported, queries)
    logger.info(
        "Exported %d gallery and %d query images with cache %s to %s",
        len(selected),
        len(queries),
        key.folder_name(),
        out,
    )
    return ExportSummary(
        config_path=config_path,
        config=config,
        gallery_images=len(selected),
        query_images=len(queries),
        indexed=len(embeddings.descriptors),
        bytes_copied=bytes_copied,
        failed=list(embeddings.failed),
    )


def first_per_class(items: list[GalleryItem], count: int | None) -> list[GalleryItem]:
    """Return the first ``count`` items of each label in their original order, or every item when ``count`` is None."""
    if count is None:
        return list(items)
    count_by_label: dict[int, int] = {}
    selected = []
    for item in items:
        if count_by_label.get(item.label, 0) < count:
            count_by_label[item.label] = count_by_label.get(item.label, 0) + 1
            selected.append(item)
    return selected


def _check_output(out: Path, gallery_dir: Path, config_path: Path, source: Gallery) -> None:
    source_root = source.image_root.parent if source.kind == "cub" else source.image_root
    if out == source_root or source_root in out.parents:
        raise FgirError(f"--out {out} is inside the source gallery {source_root}. Choose a folder outside it.")
    if out.exists() and not out.is_dir():
        raise FgirError(f"--out {out} is a file, not a folder. Choose a folder path.")
    for existing in (gallery_dir, config_path):
        if existing.exists():
            raise FgirError(f"{existing} already exists. Remove it or choose another --out.")


def _resolve_queries_per_class(source: Gallery, requested: int | None) -> int:
    exports_train = source.kind == "cub" and source.split == "train"
    if requested is None:
        return DEFAULT_QUERIES_PER_CLASS if exports_train else 0
    if requested and not exports_train:
        where = "a folder gallery, which has no test split" if source.kind == "folder" else f"split {source.split!r}"
        raise FgirError(
            f"--queries-per-class needs a CUB root exported with --split train, not {where}. Drop --queries-per-class."
        )
    return requested


def _copy_gallery(source: Gallery, selected: list[GalleryItem], queries: list[GalleryItem], gallery_dir: Path) -> int:
    """Copy the images (and, for CUB, the trimmed metadata) into ``gallery_dir`` and return the bytes copied.

    Files are written into a temporary folder that is renamed into place, so a failed copy leaves
    no half-filled gallery. Only contents are copied, not mtimes.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{GALLERY_DIR_NAME}-tmp-", dir=gallery_dir.parent))
    copied = 0
    try:
        image_dir = staging / "images" if source.kind == "cub" else staging
        for item in [*selected, *queries]:
            target = image_dir / item.relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source.path_of(item), target)
            copied += target.stat().st_size
        if source.kind == "cub":
            cub_root = source.image_root.parent
            ids_by_relpath = _image_ids(cub_root / "images.txt")
            image_ids = {ids_by_relpath[item.relpath] for item in [*selected, *queries]}
            write_metadata_subset(cub_root, staging, image_ids, {item.label for item in selected}, EXPORTED_CUB_TABLES)
        os.replace(staging, gallery_dir)
    except OSError as error:
        raise FgirError(
            f"Could not copy the gallery into {gallery_dir} ({error}). Free disk space or choose another --out."
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return copied


def _image_ids(images_txt: Path) -> dict[str, int]:
    """Map each relpath in a CUB images.txt to its image id."""
    ids = {}
    for line in images_txt.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) == 2:
            ids[fields[1]] = int(fields[0])
    return ids


def _write_config(path: Path, config: SpaceConfig) -> None:
    base = path.parent
    data = {
        "format": SPACE_FORMAT,
        "gallery": config.gallery.relative_to(base).as_posix(),
        "split": config.split,
        "classes": config.classes,
        "fingerprint_mode": config.fingerprint_mode,
        "cache_dir": config.cache_dir.relative_to(base).as_posix(),
        "method": config.method,
        "backbone": config.backbone,
        "weights_id": config.weights_id,
        "cache_entry": config.cache_entry,
        "images": config.images,
    }
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, path)


def _add_lfs_patterns(path: Path, gallery: Gallery, queries: list[GalleryItem]) -> None:
    """Append Git LFS lines for the exported image suffixes and .npy arrays that ``path`` lacks."""
    suffixes = sorted({Path(item.relpath).suffix for item in [*gallery.items, *queries]} | {".npy"})
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    existing = set(text.splitlines())
    missing = [f"*{suffix} {LFS_ATTRIBUTES}" for suffix in suffixes if f"*{suffix} {LFS_ATTRIBUTES}" not in existing]
    if not missing:
        return
    prefix = "\n" if text and not text.endswith("\n") else ""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(prefix + "".join(f"{line}\n" for line in missing))
    logger.info("Added %d Git LFS patterns to %s", len(missing), path)
