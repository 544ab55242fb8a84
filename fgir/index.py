"""Nearest-neighbour search over L2-normalized descriptors with a stable ranking."""

from __future__ import annotations

import faiss
import numpy as np


def stable_rank(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row by descending score, breaking ties by ascending gallery position.

    faiss does not promise an order among equal scores; this makes rankings identical on every machine.
    """
    order = np.lexsort((ids, -scores), axis=1)
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)


class DescriptorIndex:
    """Exact inner-product search (cosine similarity on L2-normalized descriptors) through faiss."""

    def __init__(self, descriptors: np.ndarray) -> None:
        self.size, self.dim = descriptors.shape
        self._index = faiss.IndexFlatIP(self.dim)
        if self.size:
            self._index.add(np.ascontiguousarray(descriptors, dtype=np.float32))

    def search(self, queries: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, positions), each [Q, k] with k = min(top_k, size), ranked stably."""
        k = min(top_k, self.size)
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return stable_rank(scores, ids)


def pack_binary_codes(codes: np.ndarray) -> np.ndarray:
    """Pack ±1 codes [N, K] into uint8 [N, ceil(K / 8)]: a positive entry is a 1 bit.

    The last byte is padded with 0 bits, which add nothing to a Hamming distance.
    """
    return np.packbits(np.asarray(codes) > 0, axis=1)


class BinaryCodeIndex:
    """Exact Hamming-distance search over ±1 codes through faiss's ``IndexBinaryFlat``.

    ``search`` has :class:`DescriptorIndex`'s interface. The score is 1 - 2 * hamming / K, the
    cosine similarity of the ±1 codes, in [-1, 1]. Results are ranked by ascending Hamming
    distance, ties by ascending gallery position. At 12 bits ties are common, so the top k is
    taken from every item within the k-th distance, not from whichever tied items faiss returns.
    """

    def __init__(self, codes: np.ndarray) -> None:
        self.size, self.bits = codes.shape
        if self.size and self.bits < 1:
            raise ValueError(f"Binary codes need at least one bit per row, got shape {codes.shape}")
        self._index = faiss.IndexBinaryFlat(8 * max(1, (self.bits + 7) // 8))
        if self.size:
            self._index.add(pack_binary_codes(codes))

    def search(self, queries: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, positions), each [Q, k] with k = min(top_k, size), ranked stably."""
        k = min(top_k, self.size)
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        packed = pack_binary_codes(queries)
        distances, _ = self._index.search(packed, k)
        kth_distance = distances[:, k - 1]
        positions = np.empty((len(queries), k), dtype=np.int64)
        hamming = np.empty((len(queries), k), dtype=np.int64)
        # One range search per distinct k-th distance returns every item at or within it (faiss 1.15
        # range_search on binary indexes keeps distances strictly below the radius).
        for radius in np.unique(kth_distance):
            rows = np.flatnonzero(kth_distance == radius)
            limits, found_distances, found_ids = self._index.range_search(packed[rows], int(radius) + 1)
            for row, start, end in zip(rows, limits[:-1], limits[1:]):
                order = np.lexsort((found_ids[start:end], found_distances[start:end]))[:k]
                positions[row] = found_ids[start:end][order]
                hamming[row] = found_distances[start:end][order]
        scores = (1.0 - 2.0 * hamming / self.bits).astype(np.float32)
        return scores, positions
