"""PCA-whitening learned on gallery descriptors, stored beside the gallery's cache entry.

Fit: mean μ and the principal axes U (columns) with variances λ of the gallery descriptors.
Apply: x -> L2(diag(λ + ε)^(-1/2) Uᵀ (x - μ)), keeping the ``dim`` leading components.
The files ``whitening-d{dim}-mean.npy`` and ``whitening-d{dim}-projection.npy`` sit in the gallery
cache entry's folder, so rebuilding that entry deletes them with it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# Added to every variance before its inverse square root, so near-zero components stay bounded.
VARIANCE_EPS = 1e-6
_NORM_EPS = 1e-12


@dataclass(frozen=True)
class Whitening:
    """Mean [D] and projection [D, d] of a PCA-whitening."""

    mean: np.ndarray
    projection: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.projection.shape[1])


def max_whitening_dim(count: int, dim: int) -> int:
    """Largest useful output dimension: the rank of ``count`` centred descriptors of ``dim`` values."""
    return max(0, min(dim, count - 1))


def fit_whitening(descriptors: np.ndarray, dim: int | None = None) -> Whitening:
    """Learn a PCA-whitening of [N, D] descriptors keeping ``dim`` components (default: all N - 1 or D)."""
    count, width = descriptors.shape
    limit = max_whitening_dim(count, width)
    if limit < 1:
        raise ValueError(f"PCA-whitening needs at least 2 gallery descriptors, got {count}")
    dim = limit if dim is None else dim
    if not 1 <= dim <= limit:
        raise ValueError(f"Invalid whitening dimension {dim}: with {count} descriptors of {width} values use 1 to {limit}")
    data = descriptors.astype(np.float64)
    mean = data.mean(axis=0)
    _, singular_values, axes = np.linalg.svd(data - mean, full_matrices=False)
    variances = singular_values[:dim] ** 2 / (count - 1)
    projection = axes[:dim].T / np.sqrt(variances + VARIANCE_EPS)
    return Whitening(mean.astype(np.float32), projection.astype(np.float32))


def apply_whitening(whitening: Whitening, descriptors: np.ndarray) -> np.ndarray:
    """Project [N, D] descriptors to [N, d] whitened, L2-normalized rows."""
    projected = (descriptors.astype(np.float64) - whitening.mean) @ whitening.projection.astype(np.float64)
    norms = np.linalg.norm(projected, axis=1, keepdims=True)
    return (projected / np.maximum(norms, _NORM_EPS)).astype(np.float32)


def _paths(folder: Path, dim: int) -> tuple[Path, Path]:
    return folder / f"whitening-d{dim}-mean.npy", folder / f"whitening-d{dim}-projection.npy"


def save_whitening(folder: Path, whitening: Whitening) -> None:
    """Write the whitening into ``folder``; each file is written under a temporary name and renamed."""
    for path, array in zip(_paths(folder, whitening.dim), (whitening.mean, whitening.projection)):
        staging = path.with_name(f".tmp-{path.name}")
        with staging.open("wb") as handle:
            np.save(handle, array, allow_pickle=False)
        os.replace(staging, path)


def load_whitening(folder: Path, dim: int, input_dim: int) -> Whitening | None:
    """Load the whitening of output dimension ``dim`` from ``folder``; None when missing or not matching."""
    mean_path, projection_path = _paths(folder, dim)
    if not (mean_path.is_file() and projection_path.is_file()):
        return None
    try:
        mean = np.load(mean_path, allow_pickle=False)
        projection = np.load(projection_path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        logger.warning("Ignoring damaged whitening files in %s: %s", folder, error)
        return None
    if mean.shape != (input_dim,) or projection.shape != (input_dim, dim):
        logger.warning("Ignoring whitening in %s: shapes %s and %s do not fit %d-d descriptors", folder, mean.shape, projection.shape, input_dim)
        return None
    return Whitening(mean, projection)
