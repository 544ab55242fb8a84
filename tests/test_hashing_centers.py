"""Hash centers: Hadamard rows, random balanced centers, distance bound, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from fgir.hashing.centers import (
    KIND_HADAMARD,
    KIND_RANDOM,
    HashCenterError,
    generate_hash_centers,
    hamming_distance_matrix,
    minimum_pairwise_distance,
    plotkin_bound,
    sylvester_hadamard,
)


@pytest.fixture(scope="module")
def centers_for_100_classes():
    """Random centers for 100 classes at 12, 24 and 48 bits, generated once (48 bits takes about 2 s)."""
    return {bits: generate_hash_centers(bits, 100, seed=0) for bits in (12, 24, 48)}


def test_sylvester_hadamard_rows_orthogonal():
    matrix = sylvester_hadamard(16).astype(np.int64)
    assert matrix.shape == (16, 16)
    assert np.array_equal(matrix @ matrix.T, 16 * np.eye(16, dtype=np.int64))


def test_hadamard_centers_power_of_two():
    centers = generate_hash_centers(32, 64, seed=0)
    assert centers.kind == KIND_HADAMARD
    assert centers.centers.shape == (64, 32)
    assert centers.centers.dtype == np.int8
    assert set(np.unique(centers.centers)) == {-1, 1}
    assert centers.min_distance == 16
    assert minimum_pairwise_distance(centers.centers) == 16
    # Rows 32..63 are the negated rows 0..31: [H; -H].
    assert np.array_equal(centers.centers[32:], -centers.centers[:32])


def test_more_classes_than_2k_use_random_centers():
    centers = generate_hash_centers(16, 33, seed=0)
    assert centers.kind == KIND_RANDOM
    assert centers.centers.shape == (33, 16)


@pytest.mark.parametrize("bits", [12, 24, 48])
def test_random_centers_balanced(bits, centers_for_100_classes):
    centers = centers_for_100_classes[bits]
    assert centers.kind == KIND_RANDOM
    negatives = (centers.centers == -1).sum(axis=1)
    assert np.all(negatives == bits // 2)
    assert set(np.unique(centers.centers)) == {-1, 1}


@pytest.mark.parametrize("bits, count", [(12, 100), (24, 100), (48, 100), (13, 20)])
def test_random_centers_meet_reported_bound(bits, count, centers_for_100_classes):
    centers = centers_for_100_classes[bits] if count == 100 else generate_hash_centers(bits, count, seed=0)
    assert centers.min_distance == minimum_pairwise_distance(centers.centers)
    assert centers.min_distance >= centers.target_distance >= 2
    assert centers.target_distance <= min(bits // 2, plotkin_bound(bits, count))
    assert len(np.unique(centers.centers, axis=0)) == count


def test_random_centers_48_bits_far_apart(centers_for_100_classes):
    # 100 balanced 48-bit centers: the greedy search reaches distance 18 with seed 0; 16 leaves slack.
    assert centers_for_100_classes[48].min_distance >= 16


def test_centers_deterministic_for_seed():
    first = generate_hash_centers(24, 40, seed=3)
    second = generate_hash_centers(24, 40, seed=3)
    other = generate_hash_centers(24, 40, seed=4)
    assert np.array_equal(first.centers, second.centers)
    assert not np.array_equal(first.centers, other.centers)


def test_plotkin_bound_values():
    assert plotkin_bound(12, 2) == 12
    assert plotkin_bound(12, 100) == 6
    assert plotkin_bound(48, 3) == 36
    assert plotkin_bound(8, 1) == 8


def test_hamming_distance_matrix_by_hand():
    codes = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [-1, -1, -1, -1]], dtype=np.int8)
    expected = np.array([[0, 2, 4], [2, 0, 2], [4, 2, 0]])
    assert np.array_equal(hamming_distance_matrix(codes, codes), expected)


def test_too_many_classes_rejected():
    # Only C(6, 3) = 20 balanced 6-bit vectors exist.
    with pytest.raises(HashCenterError, match="21 distinct balanced 6-bit"):
        generate_hash_centers(6, 21, seed=0)


@pytest.mark.parametrize("bits, count", [(1, 3), (12, 0)])
def test_invalid_arguments_rejected(bits, count):
    with pytest.raises(HashCenterError):
        generate_hash_centers(bits, count)
