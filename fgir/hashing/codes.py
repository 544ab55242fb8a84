"""Binary codes as ±1 arrays: binarization, Hamming ranking and mAP over the whole ranking."""

from __future__ import annotations

import numpy as np
import torch

from fgir.evaluation.metrics import average_precision
from fgir.hashing.centers import hamming_distance_matrix


def binarize(values: torch.Tensor) -> torch.Tensor:
    """Map real outputs [B, K] to ±1 codes (float32): sign, with 0 mapped to +1."""
    return torch.where(values >= 0, 1.0, -1.0).to(torch.float32)


def hamming_ranking(query_codes: np.ndarray, gallery_codes: np.ndarray) -> np.ndarray:
    """Rank the gallery for every query by ascending Hamming distance, ties by ascending position: [Q, N]."""
    distances = hamming_distance_matrix(query_codes, gallery_codes)
    return np.argsort(distances, axis=1, kind="stable")


def hamming_map(
    query_codes: np.ndarray, query_labels: np.ndarray, gallery_codes: np.ndarray, gallery_labels: np.ndarray
) -> float:
    """Compute the mAP over the whole Hamming ranking, leaving out queries without a same-class gallery item.

    Returns NaN when no query has one.
    """
    order = hamming_ranking(query_codes, gallery_codes)
    relevance = gallery_labels[order] == query_labels[:, None]
    precision = average_precision(relevance)
    if np.all(np.isnan(precision)):
        return float("nan")
    return float(np.nanmean(precision))
