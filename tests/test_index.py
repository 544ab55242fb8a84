"""Stable ranking and exact inner-product search over small descriptor sets."""

from __future__ import annotations

import math

import numpy as np

from fgir.index import DescriptorIndex, stable_rank


def _unit_gallery() -> np.ndarray:
    """Gallery positions 0: e0, 1: e1, 2: (e0 + e1) / sqrt 2, 3: -e0."""
    diagonal = 1.0 / math.sqrt(2.0)
    return np.array([[1.0, 0.0], [0.0, 1.0], [diagonal, diagonal], [-1.0, 0.0]], dtype=np.float32)


def test_stable_rank_breaks_ties_by_position() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.9]])
    ids = np.array([[7, 3, 2, 1]])

    ranked_scores, ranked_ids = stable_rank(scores, ids)

    assert np.array_equal(ranked_ids, [[1, 3, 2, 7]])
    assert np.array_equal(ranked_scores, [[0.9, 0.9, 0.5, 0.5]])


def test_stable_rank_rows_independent() -> None:
    scores = np.array([[0.1, 0.2], [0.2, 0.2]])
    ids = np.array([[0, 1], [5, 4]])

    _, ranked_ids = stable_rank(scores, ids)

    assert np.array_equal(ranked_ids, [[1, 0], [4, 5]])


def test_index_search_hand_computed() -> None:
    index = DescriptorIndex(_unit_gallery())

    scores, positions = index.search(np.array([[1.0, 0.0]], dtype=np.float32), top_k=4)

    assert np.array_equal(positions, [[0, 2, 1, 3]])
    assert np.allclose(scores, [[1.0, 1.0 / math.sqrt(2.0), 0.0, -1.0]], atol=1e-6)


def test_index_search_several_queries() -> None:
    index = DescriptorIndex(_unit_gallery())
    queries = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)

    _, positions = index.search(queries, top_k=2)

    assert np.array_equal(positions, [[0, 2], [1, 2]])


def test_index_search_duplicates_by_position() -> None:
    gallery = np.tile(np.array([[0.6, 0.8]], dtype=np.float32), (6, 1))
    index = DescriptorIndex(gallery)

    scores, positions = index.search(gallery[:1], top_k=3)

    assert np.array_equal(positions, [[0, 1, 2]])
    assert np.allclose(scores, 1.0)


def test_index_search_top_k_above_size() -> None:
    index = DescriptorIndex(_unit_gallery())

    scores, positions = index.search(np.array([[0.0, 1.0]], dtype=np.float32), top_k=50)

    assert positions.shape == (1, 4)
    assert scores.shape == (1, 4)


def test_index_search_top_k_zero() -> None:
    index = DescriptorIndex(_unit_gallery())

    scores, positions = index.search(np.array([[0.0, 1.0]], dtype=np.float32), top_k=0)

    assert scores.shape == (1, 0)
    assert positions.shape == (1, 0)
    assert positions.dtype == np.int64


def test_index_search_empty_gallery() -> None:
    index = DescriptorIndex(np.zeros((0, 2), dtype=np.float32))

    _, positions = index.search(np.array([[0.0, 1.0]], dtype=np.float32), top_k=5)

    assert positions.shape == (1, 0)
