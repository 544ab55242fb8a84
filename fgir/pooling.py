"""Pooling of [B, C, H, W] feature maps into [B, C] descriptors; every function is pure."""

from __future__ import annotations

import torch
import torch.nn.functional as F

_EPS = 1e-12


def l2_normalize(vectors: torch.Tensor) -> torch.Tensor:
    """L2-normalize the rows of a [B, D] tensor; an all-zero row stays zero."""
    return F.normalize(vectors, p=2, dim=1, eps=_EPS)


def average_pool(feature_map: torch.Tensor) -> torch.Tensor:
    """Average over all positions: [B, C, H, W] -> [B, C]."""
    return feature_map.mean(dim=(2, 3))


def max_pool(feature_map: torch.Tensor) -> torch.Tensor:
    """Maximum over all positions: [B, C, H, W] -> [B, C]."""
    return feature_map.amax(dim=(2, 3))


def masked_average_pool(feature_map: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average over the positions selected by a bool [B, H, W] mask only: [B, C, H, W] -> [B, C].

    Divides by the number of selected positions; an image with nothing selected gets a zero vector.
    """
    weights = mask[:, None].to(feature_map.dtype)
    total = (feature_map * weights).sum(dim=(2, 3))
    count = weights.sum(dim=(2, 3))
    return torch.where(count > 0, total / count.clamp_min(1.0), torch.zeros_like(total))


def masked_max_pool(feature_map: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Maximum over the positions selected by a bool [B, H, W] mask only: [B, C, H, W] -> [B, C].

    An image with nothing selected gets a zero vector.
    """
    selected = feature_map.masked_fill(~mask[:, None], float("-inf"))
    pooled = selected.amax(dim=(2, 3))
    return torch.where(torch.isfinite(pooled), pooled, torch.zeros_like(pooled))
