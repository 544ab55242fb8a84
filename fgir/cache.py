"""Gallery embedding cache: one folder per (gallery, method, backbone, weights, preprocessing).

Each entry contains ``descriptors.npy`` [N, D] float32, ``boxes.npy`` [N, 4] float32 (pixels, NaN
where the method gives no box), ``item_indices.npy`` [N] int64 (positions in the gallery's item
list, since unreadable images are skipped) and ``manifest.json`` with the full key and the
relative image paths. An entry is written into a temporary folder and renamed into place, so a
crash never leaves a half-written entry under the final name. Arrays load with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from fgir.errors import CacheError, msg
from fgir.gallery import Gallery

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
CACHE_DIR_ENV = "FGIR_CACHE_DIR"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / "gallery_cache"
MANIFEST = "manifest.json"
ARRAY_NAMES = ("descriptors", "boxes", "item_indices")


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Pick the cache folder: the argument, else ``$FGIR_CACHE_DIR``, else ``gallery_cache/`` in the repository."""
    chosen = cache_dir or os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR
    return Path(chosen).expanduser()


@dataclass(frozen=True)
class CacheKey:
    """Everything a gallery's descriptors depend on."""

    gallery_fingerprint: str
    method: str  # the method's cache id: id, code version and options
    backbone: str
    weights: str
    preprocessing: str

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def folder_name(self) -> str:
        method_id = self.method.split("-v")[0]
        return f"{method_id}-{self.backbone}-{self.digest()}"


@dataclass
class GalleryEmbeddings:
    """Descriptors of the readable gallery images, with their boxes and positions in the gallery."""

    descriptors: np.ndarray  # [N, D] float32, L2-normalized
    boxes: np.ndarray  # [N, 4] float32 pixel boxes, NaN rows where none
    item_indices: np.ndarray  # [N] int64 positions in Gallery.items
    failed: list[tuple[str, str]] = field(default_factory=list)  # (relpath, reason) of skipped images


class GalleryCache:
    """Reads and atomically writes gallery embeddings under one cache folder."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = resolve_cache_dir(root)

    def entry_dir(self, key: CacheKey) -> Path:
        return self.root / key.folder_name()

    def partial_dir(self, key: CacheKey) -> Path:
        """Folder of finished chunks of an interrupted indexing run, so a restart resumes."""
        return self.root / f".partial-{key.folder_name()}"

    def load(self, key: CacheKey, gallery: Gallery) -> GalleryEmbeddings | None:
        """Load the entry for ``key``; returns None when it is missing, stale, foreign or damaged."""
        folder = self.entry_dir(key)
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            return None
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            arrays = {name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in ARRAY_NAMES}
        except (OSError, ValueError, EOFError) as error:  # np.load raises EOFError on an empty file.
            logger.warning("Ignoring damaged cache entry %s: %s", folder, error)
            return None

        problem = _manifest_problem(manifest, key, gallery, arrays)
        if problem:
            logger.warning("Ignoring stale cache entry %s: %s; it will be rebuilt", folder, problem)
            return None
        failed = [(entry["relpath"], entry["reason"]) for entry in manifest.get("failed", [])]
        return GalleryEmbeddings(arrays["descriptors"], arrays["boxes"], arrays["item_indices"], failed)

    def save(self, key: CacheKey, gallery: Gallery, embeddings: GalleryEmbeddings) -> Path:
        """Write the entry for ``key`` atomically and return its folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.entry_dir(key)
        staging: Path | None = None
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".tmp-{key.folder_name()}-", dir=self.root))
            for name in ARRAY_NAMES:
                np.save(staging / f"{name}.npy", getattr(embeddings, name), allow_pickle=False)
            manifest = {
                "format": CACHE_FORMAT,
                "key": asdict(key),
                "gallery_kind": gallery.kind,
                "relpaths": [item.relpath for item in gallery.items],
                "failed": [{"relpath": relpath, "reason": reason} for relpath, reason in embeddings.failed],
            }
            # The manifest is written last: a folder without it never loads.
            (staging / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            os.replace(staging, final)
        except OSError as error:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise CacheError(msg("cache.write_failed", root=self.root, reason=error)) from error
        shutil.rmtree(self.partial_dir(key), ignore_errors=True)
        logger.info("Wrote gallery cache %s (%d descriptors)", final, len(embeddings.descriptors))
        return final


def _manifest_problem(manifest: dict, key: CacheKey, gallery: Gallery, arrays: dict[str, np.ndarray]) -> str | None:
    if manifest.get("format") != CACHE_FORMAT:
        return f"format {manifest.get('format')} != {CACHE_FORMAT}"
    if manifest.get("key") != asdict(key):
        return "key differs"
    if manifest.get("relpaths") != [item.relpath for item in gallery.items]:
        return "gallery image list differs"
    count = len(arrays["item_indices"])
    if arrays["descriptors"].ndim != 2 or len(arrays["descriptors"]) != count or arrays["boxes"].shape != (count, 4):
        return "array shapes are inconsistent"
    if count and (arrays["item_indices"].min() < 0 or arrays["item_indices"].max() >= len(gallery.items)):
        return "item indices out of range"
    return None
