"""Hamming ranking: BinaryCodeIndex ties, scores and agreement with brute force; hashing mAP."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fgir.hashing.codes import hamming_map, hamming_ranking
from fgir.index import BinaryCodeIndex, pack_binary_codes


def brute_force_ranking(queries: np.ndarray, gallery: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bits = gallery.shape[1]
    distances = (bits - queries @ gallery.T) / 2
    order = np.argsort(distances, axis=1, kind="stable")
    return np.take_along_axis(distances, order, axis=1), order


def test_ties_broken_by_gallery_position():
    query = np.array([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], dtype=np.float32)
    one_off = query.copy()
    one_off[0, 0] = -1
    # Positions 0, 2, 4, 6 are one bit away; 1, 3, 5 are the query itself.
    gallery = np.concatenate([one_off, query, one_off, query, one_off, query, one_off])
    scores, positions = BinaryCodeIndex(gallery).search(query, 5)
    assert positions.tolist() == [[1, 3, 5, 0, 2]]
    assert np.allclose(scores, [[1.0, 1.0, 1.0, 1.0 - 2.0 / 12, 1.0 - 2.0 / 12]])


def test_top_k_cut_inside_tie_keeps_lowest_positions():
    rng = np.random.default_rng(0)
    # 12-bit codes drawn from only 4 distinct values: hundreds of exact ties.
    distinct = np.where(rng.random((4, 12)) > 0.5, 1, -1).astype(np.float32)
    gallery = distinct[rng.integers(0, 4, 600)]
    queries = distinct[:3]
    index = BinaryCodeIndex(gallery)
    for top_k in (1, 7, 150, 600):
        scores, positions = index.search(queries, top_k)
        expected_distances, expected_positions = brute_force_ranking(queries, gallery)
        assert np.array_equal(positions, expected_positions[:, :top_k])
        assert np.allclose(scores, 1.0 - 2.0 * expected_distances[:, :top_k] / 12)


@pytest.mark.parametrize("bits", [12, 24, 32, 48, 7])
def test_matches_brute_force(bits):
    rng = np.random.default_rng(bits)
    gallery = np.where(rng.random((300, bits)) > 0.5, 1, -1).astype(np.float32)
    queries = np.where(rng.random((4, bits)) > 0.5, 1, -1).astype(np.float32)
    scores, positions = BinaryCodeIndex(gallery).search(queries, 50)
    distances, order = brute_force_ranking(queries, gallery)
    assert np.array_equal(positions, order[:, :50])
    assert np.allclose(scores, 1.0 - 2.0 * distances[:, :50] / bits)


def test_empty_index_returns_empty():
    scores, positions = BinaryCodeIndex(np.zeros((0, 12), dtype=np.float32)).search(np.ones((2, 12)), 5)
    assert scores.shape == (2, 0)
    assert positions.shape == (2, 0)


def test_pack_pads_last_byte_with_zero_bits():
    packed = pack_binary_codes(np.array([[1] * 12]))
    assert packed.tolist() == [[255, 240]]


def test_hamming_ranking_stable():
    gallery = np.array([[1, -1], [1, 1], [1, -1], [1, 1]], dtype=np.int8)
    assert hamming_ranking(np.array([[1, 1]], dtype=np.int8), gallery).tolist() == [[1, 3, 0, 2]]


def test_hamming_map_by_hand():
    gallery = np.array([[1, 1], [1, -1], [-1, -1]], dtype=np.int8)
    labels = np.array([1, 2, 1])
    # Query (1, 1) of class 1: ranking 0 (hit), 1 (miss), 2 (hit): AP = (1 + 2/3) / 2.
    value = hamming_map(np.array([[1, 1]], dtype=np.int8), np.array([1]), gallery, labels)
    assert math.isclose(value, (1 + 2 / 3) / 2)
    assert math.isnan(hamming_map(np.array([[1, 1]], dtype=np.int8), np.array([9]), gallery, labels))
