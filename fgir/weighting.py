"""Cross-dimensional (CroW) weighting of a feature map.

Kalantidis, Mellina, Osindero, "Cross-dimensional Weighting for Aggregated Deep Convolutional
Features", ECCV Workshops 2016. Feature maps are non-negative (post-ReLU) tensors of shape
[B, C, H, W]; every function here is pure.
"""

from __future__ import annotations

import torch

# Exponents of the spatial weight S = (A / ||A||_a)^(1/b); CroW's published choice is a = b = 2.
SPATIAL_NORM_POWER = 2.0
SPATIAL_ROOT = 2.0
_EPS = 1e-12


def aggregation_map(feature_map: torch.Tensor) -> torch.Tensor:
    """Sum a [B, C, H, W] feature map over channels into the [B, H, W] aggregation map A."""
    return feature_map.sum(dim=1)


def spatial_weights(feature_map: torch.Tensor) -> torch.Tensor:
    """Compute CroW's spatial weights S = (A / ||A||_2)^(1/2), shape [B, H, W].

    An all-zero map gets all-zero weights instead of a division by zero.
    """
    aggregation = aggregation_map(feature_map)
    norm = aggregation.pow(SPATIAL_NORM_POWER).sum(dim=(1, 2), keepdim=True).pow(1.0 / SPATIAL_NORM_POWER)
    normalized = aggregation / norm.clamp_min(_EPS)
    return normalized.pow(1.0 / SPATIAL_ROOT)


def channel_weights(feature_map: torch.Tensor) -> torch.Tensor:
    """Compute CroW's channel weights w_c = log(sum_j Q_j / Q_c), shape [B, C].

    Q_c is the fraction of non-zero positions of channel c. An all-zero channel gets weight 0:
    adding an epsilon to Q_c instead would give it the largest weight of all.
    """
    nonzero_fraction = (feature_map > 0).flatten(2).float().mean(dim=2)  # [B, C]
    total = nonzero_fraction.sum(dim=1, keepdim=True)
    ratio = total / nonzero_fraction.clamp_min(_EPS)
    weights = torch.log(ratio.clamp_min(1.0))
    return torch.where(nonzero_fraction > 0, weights, torch.zeros_like(weights))


def crow_weighted_map(feature_map: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weight a [B, C, H, W] feature map by channel and position: X' = w ⊙ S ⊙ X.

    Returns (weighted map [B, C, H, W], spatial weights [B, H, W], channel weights [B, C]).
    """
    spatial = spatial_weights(feature_map)
    channel = channel_weights(feature_map)
    weighted = feature_map * spatial[:, None, :, :] * channel[:, :, None, None]
    return weighted, spatial, channel
