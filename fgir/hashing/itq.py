"""Iterative quantization (ITQ), the unsupervised hashing baseline; pure numpy.

Gong, Lazebnik, "Iterative Quantization: A Procrustean Approach to Learning Binary Codes", CVPR 2011.
Center the descriptors, project them on their top K principal directions (V = (X - mean) P), then
alternate B = sign(V R) and the orthogonal Procrustes step R = W U^T, where U S W^T is the SVD of
V^T B; each step lowers the quantization loss ||B - V R||_F^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fgir.errors import FgirError, msg

DEFAULT_ITERATIONS = 50


class ItqError(FgirError):
    """ITQ cannot be fitted with the given descriptors and code length."""


@dataclass
class ItqModel:
    """A fitted ITQ projection; codes are sign((x - mean) @ projection @ rotation)."""

    mean: np.ndarray  # [D] float64
    projection: np.ndarray  # [D, K] float64, top-K principal directions as columns
    rotation: np.ndarray  # [K, K] float64, orthogonal

    @property
    def bits(self) -> int:
        return int(self.rotation.shape[0])


def principal_directions(centered: np.ndarray, bits: int) -> np.ndarray:
    """Compute the top-``bits`` eigenvectors of the covariance of centered rows [N, D]: [D, K], by descending eigenvalue.

    Each vector's sign is fixed so that its largest-magnitude entry is positive, making the result
    independent of the LAPACK build's sign choice.
    """
    covariance = centered.T @ centered / max(len(centered) - 1, 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    top = eigenvectors[:, np.argsort(eigenvalues)[::-1][:bits]]
    largest = np.argmax(np.abs(top), axis=0)
    signs = np.sign(top[largest, np.arange(bits)])
    return top * np.where(signs == 0, 1.0, signs)


def sign_codes(values: np.ndarray) -> np.ndarray:
    """Take the signs of real values as ±1 codes (int8), with 0 mapped to +1."""
    return np.where(values >= 0, 1, -1).astype(np.int8)


def quantization_loss(codes: np.ndarray, rotated: np.ndarray) -> float:
    """Compute ITQ's objective ||B - V R||_F^2 for codes B and rotated projections V R, both [N, K]."""
    return float(np.sum((codes - rotated) ** 2))


def fit_itq(
    descriptors: np.ndarray, bits: int, iterations: int = DEFAULT_ITERATIONS, seed: int = 0
) -> tuple[ItqModel, list[float]]:
    """Fit ITQ on descriptors [N, D]; returns the model and the quantization loss after each iteration."""
    count, dim = descriptors.shape
    if not 1 <= bits <= min(dim, count):
        raise ItqError(msg("hashing.itq_too_many_bits", bits=bits, count=count, dimension=dim, limit=min(dim, count)))
    data = descriptors.astype(np.float64)
    mean = data.mean(axis=0)
    projection = principal_directions(data - mean, bits)
    projected = (data - mean) @ projection
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((bits, bits)))
    losses = []
    for _ in range(iterations):
        codes = sign_codes(projected @ rotation).astype(np.float64)
        left, _, right_t = np.linalg.svd(projected.T @ codes)
        rotation = left @ right_t
        losses.append(quantization_loss(codes, projected @ rotation))
    return ItqModel(mean, projection, rotation), losses


def itq_project(model: ItqModel, descriptors: np.ndarray) -> np.ndarray:
    """Project descriptors [N, D] to real values [N, K] whose signs are the codes."""
    return (descriptors.astype(np.float64) - model.mean) @ model.projection @ model.rotation
