"""Binary hash centers, one ±1 vector of K bits per class, as in central similarity hashing.

Yuan et al., "Central Similarity Quantization for Efficient Image and Video Retrieval", CVPR 2020.

- Hadamard centers: when K is a power of two and there are at most 2K classes, the rows of
  [H; -H] for the K x K Sylvester Hadamard matrix H. Any two differ in at least K/2 bits.
- Random balanced centers otherwise: vectors with floor(K/2) entries -1, drawn one class at a
  time and redrawn until the new center is at least a target Hamming distance d from every
  center chosen so far. All centers have the same weight, so their distances are even. The
  search starts at d = the largest even number <= min(K/2, Plotkin bound) and lowers d by 2
  after ``restarts`` failed attempts. The Plotkin bound floor(K n / (2 (n - 1))) caps the minimum
  distance of any n binary vectors of length K. :class:`HashCenters` reports the target reached
  and the actual minimum distance.

Everything is deterministic for a given (bits, class count, seed).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from fgir.errors import FgirError, msg

logger = logging.getLogger(__name__)

KIND_HADAMARD = "hadamard"
KIND_RANDOM = "random"
# Candidate vectors drawn for one center before an attempt at a target distance gives up.
DRAWS_PER_CENTER = 8192
# Candidates drawn and checked together; only a speed setting.
DRAW_BATCH = 128
# Attempts at one target distance before the target is lowered by 2.
RESTARTS_PER_TARGET = 3
DEFAULT_CENTER_SEED = 0


class HashCenterError(FgirError):
    """Hash centers cannot be generated for the requested bits and class count."""


@dataclass(frozen=True)
class HashCenters:
    """One center per class with how they were made."""

    centers: np.ndarray  # [n, K] int8 of ±1
    kind: str  # KIND_HADAMARD or KIND_RANDOM
    min_distance: int  # minimum pairwise Hamming distance; K for a single class
    target_distance: int  # the distance bound the search met (K/2 for Hadamard centers)
    seed: int


def is_power_of_two(value: int) -> bool:
    return value >= 1 and value & (value - 1) == 0


def sylvester_hadamard(order: int) -> np.ndarray:
    """Build the order x order Sylvester Hadamard matrix of ±1 (int8); ``order`` must be a power of two."""
    if not is_power_of_two(order):
        raise HashCenterError(msg("hashing.hadamard_order", order=order))
    matrix = np.ones((1, 1), dtype=np.int8)
    while len(matrix) < order:
        matrix = np.block([[matrix, matrix], [matrix, -matrix]]).astype(np.int8)
    return matrix


def hamming_distance_matrix(codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """Compute the Hamming distances between ±1 codes [n, K] and [m, K]: int64 [n, m], (K - <a, b>) / 2.

    The inner products run as a float32 matrix product, which is exact for K < 2^24 and several
    times faster than an integer one.
    """
    bits = codes_a.shape[1]
    inner = codes_a.astype(np.float32) @ codes_b.astype(np.float32).T
    return (bits - np.rint(inner).astype(np.int64)) // 2


def minimum_pairwise_distance(centers: np.ndarray) -> int:
    """Return the smallest Hamming distance between two different rows of a ±1 matrix [n, K], or K when n < 2."""
    if len(centers) < 2:
        return int(centers.shape[1])
    distances = hamming_distance_matrix(centers, centers)
    np.fill_diagonal(distances, np.iinfo(np.int64).max)
    return int(distances.min())


def plotkin_bound(bits: int, count: int) -> int:
    """Return the Plotkin bound floor(K n / (2 (n - 1))) on the minimum distance of n >= 2 vectors of K bits."""
    if count < 2:
        return bits
    return (bits * count) // (2 * (count - 1))


def hadamard_centers(bits: int, count: int) -> np.ndarray:
    """Take the first ``count`` rows of [H; -H]: int8 [count, K]. K must be a power of two and count <= 2K."""
    if not is_power_of_two(bits) or count > 2 * bits:
        raise HashCenterError(msg("hashing.hadamard_centers", bits=bits, count=count))
    hadamard = sylvester_hadamard(bits)
    return np.concatenate([hadamard, -hadamard])[:count].copy()


def balanced_vectors(rng: np.random.Generator, count: int, bits: int) -> np.ndarray:
    """Draw ``count`` random ±1 vectors of length K, each with floor(K/2) entries -1: int8 [count, K]."""
    base = np.ones(bits, dtype=np.int8)
    base[: bits // 2] = -1
    return base[np.argsort(rng.random((count, bits)), axis=1)]


def _greedy_attempt(rng: np.random.Generator, bits: int, count: int, target: int) -> np.ndarray | None:
    """Pick centers one by one, each at distance >= target from the earlier ones; None when a center is not found."""
    chosen = np.empty((count, bits), dtype=np.int8)
    for index in range(count):
        found = None
        for _ in range(math.ceil(DRAWS_PER_CENTER / DRAW_BATCH)):
            candidates = balanced_vectors(rng, DRAW_BATCH, bits)
            if index == 0:
                found = candidates[0]
                break
            nearest = hamming_distance_matrix(candidates, chosen[:index]).min(axis=1)
            passing = np.flatnonzero(nearest >= target)
            if passing.size:
                found = candidates[passing[0]]
                break
        if found is None:
            return None
        chosen[index] = found
    return chosen


def random_balanced_centers(bits: int, count: int, seed: int = DEFAULT_CENTER_SEED) -> tuple[np.ndarray, int]:
    """Draw ``count`` balanced centers, lowering the target distance until the search succeeds.

    Returns (centers int8 [count, K], target distance met). Raises :class:`HashCenterError` when
    not even distinct centers (distance 2) are found, which happens when ``count`` approaches the
    number of balanced vectors, C(K, floor(K/2)).
    """
    rng = np.random.default_rng(seed)
    start = min(bits // 2, plotkin_bound(bits, count))
    start -= start % 2
    for target in range(start, 0, -2):
        for _ in range(RESTARTS_PER_TARGET):
            centers = _greedy_attempt(rng, bits, count, target)
            if centers is not None:
                return centers, target
        logger.info("No %d balanced %d-bit centers at distance >= %d; lowering the target", count, bits, target)
    raise HashCenterError(
        msg("hashing.centers_not_distinct", count=count, bits=bits, minimum_bits=_bits_for_distinct(count))
    )


def _bits_for_distinct(count: int) -> int:
    """Return the smallest K with C(K, floor(K/2)) >= 2 * count, a comfortable supply of balanced vectors."""
    bits = 2
    while math.comb(bits, bits // 2) < 2 * count:
        bits += 1
    return bits


def generate_hash_centers(bits: int, count: int, seed: int = DEFAULT_CENTER_SEED) -> HashCenters:
    """Generate one center per class: Hadamard where possible, else random balanced (see the module docstring)."""
    if bits < 2:
        raise HashCenterError(msg("hashing.invalid_bits", bits=bits))
    if count < 1:
        raise HashCenterError(msg("hashing.invalid_class_count", count=count))
    if is_power_of_two(bits) and count <= 2 * bits:
        centers = hadamard_centers(bits, count)
        return HashCenters(centers, KIND_HADAMARD, minimum_pairwise_distance(centers), bits // 2, seed)
    centers, target = random_balanced_centers(bits, count, seed)
    reached = minimum_pairwise_distance(centers)
    logger.info(
        "Drew %d random %d-bit hash centers: minimum Hamming distance %d (target %d)", count, bits, reached, target
    )
    return HashCenters(centers, KIND_RANDOM, reached, target, seed)
