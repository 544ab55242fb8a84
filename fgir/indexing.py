"""Compute gallery descriptors in batches, decoding the next batch in threads during the forward pass.

Finished chunks are saved under the cache's partial folder, so an interrupted run resumes from
the last finished chunk instead of starting over.
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from concurrent.futures import Future, ThreadPoolExecutor

from fgir.backbones import Backbone
from fgir.backbones.loader import Preprocessor
from fgir.cache import GalleryEmbeddings
from fgir.errors import CacheError, ImageLoadError, msg
from fgir.gallery import Gallery
from fgir.imageio import load_image
from fgir.localization import box_to_pixels
from fgir.methods import RetrievalMethod

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 32
# Images per saved chunk of an indexing run: about the most work an interruption can lose.
CHUNK_SIZE = 256
# Decoding runs in threads, not processes: Pillow releases the GIL while decoding and resizing, and
# threads need neither a fork of the app's multi-threaded server nor a __main__ guard in scripts.

# Arrays every saved chunk must contain; a chunk missing one is redone.
CHUNK_ARRAYS = ("descriptors", "boxes", "indices", "failed_indices", "failed_reasons")

ProgressCallback = Callable[[int, int], None]  # (images done, images total)


@dataclass
class _Sample:
    index: int
    pixels: torch.Tensor | None
    width: int
    height: int
    error: str


def _load_sample(gallery: Gallery, preprocess: Preprocessor, index: int) -> _Sample:
    try:
        image = load_image(gallery.path_of(gallery.items[index]))
    except ImageLoadError as error:
        return _Sample(index, None, 0, 0, str(error))
    return _Sample(index, preprocess(image), image.width, image.height, "")


def default_workers() -> int:
    """Decoding threads: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


class _ChunkBuilder:
    """Accumulates described batches until a chunk is full."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.descriptors: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self.kept: list[int] = []
        self.failed: list[int] = []
        self.reasons: list[str] = []

    @property
    def count(self) -> int:
        return len(self.kept) + len(self.failed)

    def to_arrays(self) -> dict[str, np.ndarray]:
        dim = self.descriptors[0].shape[1] if self.descriptors else 0
        return {
            "descriptors": np.concatenate(self.descriptors) if self.descriptors else np.zeros((0, dim), np.float32),
            "boxes": np.concatenate(self.boxes) if self.boxes else np.zeros((0, 4), np.float32),
            "indices": np.asarray(self.kept, dtype=np.int64),
            "failed_indices": np.asarray(self.failed, dtype=np.int64),
            "failed_reasons": np.asarray(self.reasons, dtype=str),
        }


def compute_embeddings(
    gallery: Gallery,
    method: RetrievalMethod,
    backbone: Backbone,
    partial_dir: Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> GalleryEmbeddings:
    """Describe every gallery image; unreadable images are skipped and listed in ``failed``."""
    total = len(gallery.items)
    chunks: list[dict[str, np.ndarray]] = []
    done = 0
    if partial_dir is not None:
        try:
            partial_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheError(msg("cache.folder_not_writable", folder=partial_dir.parent, reason=error)) from error
        chunks = _load_chunks(partial_dir)
        done = sum(len(chunk["indices"]) + len(chunk["failed_indices"]) for chunk in chunks)
        if done:
            logger.info("Resuming indexing at image %d of %d from %s", done, total, partial_dir)
    if progress:
        progress(done, total)
    if done >= total:
        return _merge_chunks(chunks, gallery)

    workers = default_workers() if workers is None else workers
    batches = [list(range(start, min(start + batch_size, total))) for start in range(done, total, batch_size)]
    builder = _ChunkBuilder(done)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fgir-decode") as pool:

        def submit(indices: list[int]) -> list[Future]:
            return [pool.submit(_load_sample, gallery, backbone.preprocess, index) for index in indices]

        pending = submit(batches[0])
        for batch_number in range(len(batches)):
            samples = [future.result() for future in pending]
            if batch_number + 1 < len(batches):
                pending = submit(batches[batch_number + 1])  # Decoded while this batch runs forward.
            _describe_batch(samples, gallery, method, backbone, builder)
            done += len(samples)
            if builder.count >= CHUNK_SIZE or done == total:
                chunk = builder.to_arrays()
                if partial_dir is not None:
                    _save_chunk(partial_dir, builder.start, chunk)
                chunks.append(chunk)
                builder = _ChunkBuilder(done)
            if progress:
                progress(done, total)

    return _merge_chunks(chunks, gallery)


def _describe_batch(
    samples: list[_Sample], gallery: Gallery, method: RetrievalMethod, backbone: Backbone, builder: _ChunkBuilder
) -> None:
    good = [sample for sample in samples if sample.pixels is not None]
    for sample in samples:
        if sample.pixels is None:
            logger.warning("Skipping gallery image %s: %s", gallery.items[sample.index].relpath, sample.error)
            builder.failed.append(sample.index)
            builder.reasons.append(sample.error)
    if good:
        batch = method.describe(backbone, torch.stack([sample.pixels for sample in good]))
        builder.descriptors.append(batch.descriptors.numpy())
        builder.boxes.append(_pixel_boxes(batch.boxes, good))
        builder.kept.extend(sample.index for sample in good)


def _pixel_boxes(boxes: np.ndarray | None, samples: list[_Sample]) -> np.ndarray:
    if boxes is None:
        return np.full((len(samples), 4), np.nan, dtype=np.float32)
    return np.stack([box_to_pixels(box, sample.width, sample.height) for box, sample in zip(boxes, samples)])


def _save_chunk(folder: Path, start: int, chunk: dict[str, np.ndarray]) -> None:
    final = folder / f"chunk-{start:08d}.npz"
    staging = folder / f"chunk-{start:08d}.tmp.npz"
    try:
        np.savez(staging, **chunk)
        os.replace(staging, final)
    except OSError as error:
        raise CacheError(msg("cache.progress_write_failed", folder=folder, reason=error)) from error


def _load_chunks(folder: Path) -> list[dict[str, np.ndarray]]:
    """Load consecutive finished chunks; anything after a gap or a damaged chunk is redone."""
    chunks = []
    expected_start = 0
    for path in sorted(folder.glob("chunk-*.npz")):
        if path.name.endswith(".tmp.npz") or path.name != f"chunk-{expected_start:08d}.npz":
            break
        try:
            with np.load(path, allow_pickle=False) as data:
                chunk = {name: data[name] for name in data.files}
        # np.load raises EOFError on an empty file and BadZipFile on a truncated one.
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            logger.warning("Discarding damaged indexing chunk %s: %s", path, error)
            break
        missing = [name for name in CHUNK_ARRAYS if name not in chunk]
        if missing:
            logger.warning("Discarding indexing chunk %s without arrays %s", path, missing)
            break
        chunks.append(chunk)
        expected_start += len(chunk["indices"]) + len(chunk["failed_indices"])
    return chunks


def _merge_chunks(chunks: list[dict[str, np.ndarray]], gallery: Gallery) -> GalleryEmbeddings:
    with_rows = [chunk for chunk in chunks if len(chunk["indices"])]
    dim = with_rows[0]["descriptors"].shape[1] if with_rows else 0
    descriptors = np.concatenate([c["descriptors"] for c in with_rows]) if with_rows else np.zeros((0, dim), np.float32)
    boxes = np.concatenate([c["boxes"] for c in with_rows]) if with_rows else np.zeros((0, 4), np.float32)
    indices = np.concatenate([c["indices"] for c in chunks]) if chunks else np.zeros(0, np.int64)
    failed = [
        (gallery.items[int(index)].relpath, str(reason))
        for chunk in chunks
        for index, reason in zip(chunk["failed_indices"], chunk["failed_reasons"])
    ]
    return GalleryEmbeddings(descriptors.astype(np.float32), boxes.astype(np.float32), indices.astype(np.int64), failed)
