"""Batched indexing: unreadable images are skipped and reported, and interrupted runs resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import fgir.indexing
from fgir.backbones import Backbone
from fgir.cache import GalleryEmbeddings
from fgir.gallery import Gallery, open_gallery
from fgir.indexing import compute_embeddings
from fgir.methods import DescriptorBatch, RetrievalMethod, create_method

BROKEN = "a_class/broken.jpg"
BROKEN_POSITION = 4  # a0-a3 sort before broken.jpg, b0-b2 after it.


class CountingMethod:
    """Wraps a method and counts the images it describes, to see which work a resumed run redoes."""

    def __init__(self, method: RetrievalMethod) -> None:
        self.method = method
        self.described = 0

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        self.described += len(images)
        return self.method.describe(backbone, images)


@pytest.fixture
def gallery(folder_gallery_root: Path) -> Gallery:
    """Eight images in two classes. Position 4 is a text file named .jpg."""
    (folder_gallery_root / BROKEN).write_text("not a jpeg")
    return open_gallery(folder_gallery_root)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # With batches of 2, every batch closes a chunk: 4 chunks for 8 images.
    monkeypatch.setattr(fgir.indexing, "CHUNK_SIZE", 2)


def _run(gallery: Gallery, method, backbone: Backbone, partial_dir: Path | None = None, progress=None) -> GalleryEmbeddings:
    return compute_embeddings(gallery, method, backbone, partial_dir=partial_dir, batch_size=2, progress=progress, workers=2)


def _assert_same(actual: GalleryEmbeddings, expected: GalleryEmbeddings) -> None:
    assert np.array_equal(actual.item_indices, expected.item_indices)
    assert np.allclose(actual.descriptors, expected.descriptors, atol=1e-6)
    assert np.allclose(actual.boxes, expected.boxes, atol=1e-3, equal_nan=True)
    assert actual.failed == expected.failed


def test_indexing_skips_unreadable(gallery: Gallery, mobilenet: Backbone) -> None:
    embeddings = _run(gallery, create_method("gap"), mobilenet)

    assert embeddings.descriptors.shape == (7, 1280)
    assert embeddings.item_indices.tolist() == [0, 1, 2, 3, 5, 6, 7]
    assert [relpath for relpath, _ in embeddings.failed] == [BROKEN]
    assert str(gallery.path_of(gallery.items[BROKEN_POSITION])) in embeddings.failed[0][1]


def test_indexing_descriptors_normalized(gallery: Gallery, mobilenet: Backbone) -> None:
    embeddings = _run(gallery, create_method("gap"), mobilenet)

    assert embeddings.descriptors.dtype == np.float32
    assert np.allclose(np.linalg.norm(embeddings.descriptors, axis=1), 1.0, atol=1e-5)


def test_indexing_gap_has_no_boxes(gallery: Gallery, mobilenet: Backbone) -> None:
    embeddings = _run(gallery, create_method("gap"), mobilenet)

    assert embeddings.boxes.shape == (7, 4)
    assert np.isnan(embeddings.boxes).all()


def test_indexing_wmtl_pixel_boxes(gallery: Gallery, mobilenet: Backbone) -> None:
    # a_class images are 48 x 40 and b_class images 40 x 56 pixels (see conftest.py).
    embeddings = _run(gallery, create_method("wmtl"), mobilenet)
    sizes = np.array([(48, 40)] * 4 + [(40, 56)] * 3, dtype=np.float32)
    boxes = embeddings.boxes

    assert np.isfinite(boxes).all()
    assert (boxes[:, :2] >= 0).all()
    assert (boxes[:, 2] > boxes[:, 0]).all()
    assert (boxes[:, 3] > boxes[:, 1]).all()
    assert (boxes[:, 2] <= sizes[:, 0]).all()
    assert (boxes[:, 3] <= sizes[:, 1]).all()


def test_indexing_progress_reports(gallery: Gallery, mobilenet: Backbone) -> None:
    calls: list[tuple[int, int]] = []

    _run(gallery, create_method("gap"), mobilenet, progress=lambda done, total: calls.append((done, total)))

    assert calls[0] == (0, 8)
    assert calls[-1] == (8, 8)


def test_indexing_all_unreadable(tmp_path: Path, mobilenet: Backbone) -> None:
    (tmp_path / "only_class").mkdir()
    (tmp_path / "only_class" / "x.jpg").write_text("not a jpeg")
    gallery = open_gallery(tmp_path)

    embeddings = _run(gallery, create_method("gap"), mobilenet)

    assert len(embeddings.descriptors) == 0
    assert len(embeddings.item_indices) == 0
    assert [relpath for relpath, _ in embeddings.failed] == ["only_class/x.jpg"]


def test_indexing_resume_after_lost_chunk(
    gallery: Gallery, mobilenet: Backbone, tmp_path: Path, small_chunks: None
) -> None:
    method = create_method("wmtl")
    expected = _run(gallery, method, mobilenet)
    partial = tmp_path / "partial"
    _run(gallery, method, mobilenet, partial_dir=partial)
    chunks = sorted(partial.glob("chunk-*.npz"))
    assert [path.name for path in chunks] == [f"chunk-{start:08d}.npz" for start in (0, 2, 4, 6)]
    chunks[-1].unlink()
    counting = CountingMethod(method)
    calls: list[tuple[int, int]] = []

    resumed = _run(gallery, counting, mobilenet, partial_dir=partial, progress=lambda done, total: calls.append((done, total)))

    _assert_same(resumed, expected)
    assert counting.described == 2
    assert calls[0] == (6, 8)


def test_indexing_resume_finished_run(gallery: Gallery, mobilenet: Backbone, tmp_path: Path, small_chunks: None) -> None:
    method = create_method("gap")
    partial = tmp_path / "partial"
    expected = _run(gallery, method, mobilenet, partial_dir=partial)
    counting = CountingMethod(method)

    resumed = _run(gallery, counting, mobilenet, partial_dir=partial)

    _assert_same(resumed, expected)
    assert counting.described == 0


@pytest.mark.parametrize("kept_bytes", [0, 100], ids=["empty", "truncated"])
def test_indexing_resume_damaged_chunk(
    gallery: Gallery, mobilenet: Backbone, tmp_path: Path, small_chunks: None, kept_bytes: int
) -> None:
    # Chunk 2 (images 4-5) is damaged: images 4-7 are redone, and 5-7 are described because 4 is unreadable.
    method = create_method("gap")
    partial = tmp_path / "partial"
    expected = _run(gallery, method, mobilenet, partial_dir=partial)
    damaged = partial / "chunk-00000004.npz"
    damaged.write_bytes(damaged.read_bytes()[:kept_bytes])
    counting = CountingMethod(method)

    resumed = _run(gallery, counting, mobilenet, partial_dir=partial)

    _assert_same(resumed, expected)
    assert counting.described == 3
