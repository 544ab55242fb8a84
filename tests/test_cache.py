"""Gallery cache: round trip, stale and damaged entries, atomic writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import fgir.cache
from fgir.cache import CacheKey, GalleryCache, GalleryEmbeddings
from fgir.errors import CacheError
from fgir.gallery import Gallery, open_gallery


def _key(gallery: Gallery, weights: str = "weights-a") -> CacheKey:
    return CacheKey(
        gallery_fingerprint=gallery.fingerprint(),
        method="wmtl-v1,flip=False",
        backbone="mobilenet_v2",
        weights=weights,
        preprocessing="resize224",
    )


def _embeddings() -> GalleryEmbeddings:
    """Six of the seven images of ``folder_gallery_root``: position 4 failed to load."""
    rng = np.random.default_rng(0)
    boxes = rng.uniform(0, 40, (6, 4)).astype(np.float32)
    boxes[2] = np.nan
    return GalleryEmbeddings(
        descriptors=rng.normal(size=(6, 8)).astype(np.float32),
        boxes=boxes,
        item_indices=np.array([0, 1, 2, 3, 5, 6], dtype=np.int64),
        failed=[("b_class/b0.png", "Image file is truncated")],
    )


@pytest.fixture
def gallery(folder_gallery_root: Path) -> Gallery:
    return open_gallery(folder_gallery_root)


@pytest.fixture
def cache(tmp_path: Path) -> GalleryCache:
    return GalleryCache(tmp_path / "cache")


def _saved(cache: GalleryCache, gallery: Gallery) -> tuple[CacheKey, Path]:
    key = _key(gallery)
    return key, cache.save(key, gallery, _embeddings())


def test_cache_round_trip(cache: GalleryCache, gallery: Gallery) -> None:
    key, _ = _saved(cache, gallery)
    expected = _embeddings()

    loaded = cache.load(key, gallery)

    assert loaded is not None
    assert loaded.descriptors.dtype == np.float32
    assert np.array_equal(loaded.descriptors, expected.descriptors)
    assert np.array_equal(loaded.boxes, expected.boxes, equal_nan=True)
    assert np.array_equal(loaded.item_indices, expected.item_indices)
    assert loaded.failed == expected.failed


def test_cache_missing_entry(cache: GalleryCache, gallery: Gallery) -> None:
    assert cache.load(_key(gallery), gallery) is None


def test_cache_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fgir.cache.CACHE_DIR_ENV, str(tmp_path / "from_env"))

    assert GalleryCache().root == tmp_path / "from_env"


def test_cache_stale_key(cache: GalleryCache, gallery: Gallery) -> None:
    _saved(cache, gallery)

    assert cache.load(_key(gallery, weights="weights-b"), gallery) is None


def test_cache_changed_gallery(cache: GalleryCache, gallery: Gallery, write_image: Callable) -> None:
    _saved(cache, gallery)
    write_image(gallery.image_root / "b_class" / "b3.png", 8, 8, 3)
    changed = open_gallery(gallery.image_root)

    assert cache.load(_key(changed), changed) is None


def test_cache_foreign_image_list(cache: GalleryCache, gallery: Gallery) -> None:
    # Same key, different image list: the manifest's relative paths must match the gallery.
    key, _ = _saved(cache, gallery)
    fewer = dataclasses.replace(gallery, items=gallery.items[:-1])

    assert cache.load(key, fewer) is None


def test_cache_missing_manifest(cache: GalleryCache, gallery: Gallery) -> None:
    key, folder = _saved(cache, gallery)
    (folder / fgir.cache.MANIFEST).unlink()

    assert cache.load(key, gallery) is None


def test_cache_invalid_manifest(cache: GalleryCache, gallery: Gallery) -> None:
    key, folder = _saved(cache, gallery)
    (folder / fgir.cache.MANIFEST).write_text('{"format": 1, "key": ')

    assert cache.load(key, gallery) is None


@pytest.mark.parametrize("kept_bytes", [0, 40, 200], ids=["empty", "inside-header", "inside-data"])
def test_cache_truncated_npy(cache: GalleryCache, gallery: Gallery, kept_bytes: int) -> None:
    key, folder = _saved(cache, gallery)
    path = folder / "descriptors.npy"
    path.write_bytes(path.read_bytes()[:kept_bytes])

    assert cache.load(key, gallery) is None


def test_cache_inconsistent_shapes(cache: GalleryCache, gallery: Gallery) -> None:
    key, folder = _saved(cache, gallery)
    np.save(folder / "boxes.npy", np.zeros((2, 4), dtype=np.float32))

    assert cache.load(key, gallery) is None


def test_cache_index_out_of_range(cache: GalleryCache, gallery: Gallery) -> None:
    key, folder = _saved(cache, gallery)
    np.save(folder / "item_indices.npy", np.array([0, 1, 2, 3, 5, 7], dtype=np.int64))

    assert cache.load(key, gallery) is None


def test_cache_save_leaves_no_temp(cache: GalleryCache, gallery: Gallery) -> None:
    key, folder = _saved(cache, gallery)
    cache.save(key, gallery, _embeddings())  # Overwrites the existing entry.

    assert [entry.name for entry in cache.root.iterdir()] == [folder.name]


def test_cache_save_removes_partial(cache: GalleryCache, gallery: Gallery) -> None:
    key = _key(gallery)
    cache.partial_dir(key).mkdir(parents=True)
    (cache.partial_dir(key) / "chunk-00000000.npz").write_bytes(b"")

    cache.save(key, gallery, _embeddings())

    assert not cache.partial_dir(key).exists()


def test_cache_failed_save_cleans_up(cache: GalleryCache, gallery: Gallery, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)

    with pytest.raises(CacheError) as caught:
        cache.save(_key(gallery), gallery, _embeddings())

    assert str(cache.root) in str(caught.value)
    assert list(cache.root.iterdir()) == []
