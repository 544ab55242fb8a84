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
