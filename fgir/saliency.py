"""Gradient-weighted channel combination (Grad-CAM style) without a classifier.

Selvaraju et al., "Grad-CAM", ICCV 2017: alpha_c = spatial mean of dObjective/dX_c and
map = ReLU(sum_c alpha_c X_c). Retrieval has no class score, so the objective is supplied by
the method (for example the energy of its selected descriptor).
"""

from __future__ import annotations

from typing import Callable

import torch

_EPS = 1e-12


def grad_weighted_channel_map(feature_map: torch.Tensor, gradient: torch.Tensor) -> torch.Tensor:
    """Combine a [C, H, W] feature map with its [C, H, W] gradient into a [H, W] map scaled to [0, 1]."""
    alpha = gradient.mean(dim=(1, 2))  # [C]
    combined = torch.relu((alpha[:, None, None] * feature_map).sum(dim=0))
    return min_max_scale(combined)


def min_max_scale(values: torch.Tensor) -> torch.Tensor:
    """Scale a tensor to [0, 1]; a constant tensor becomes all zeros."""
    low, high = values.min(), values.max()
    if float(high - low) <= _EPS:
        return torch.zeros_like(values)
    return (values - low) / (high - low)


def objective_saliency(
    feature_map: torch.Tensor, objective: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """Compute the saliency [H, W] of one [1, C, H, W] feature map for a scalar ``objective``.

    The gradient is taken with respect to the feature map only, so no backward pass through the
    backbone is needed. Works inside ``torch.inference_mode`` callers because it re-enables grad.
    """
    with torch.inference_mode(False), torch.enable_grad():
        leaf = feature_map.detach().clone().requires_grad_(True)
        value = objective(leaf)
        (gradient,) = torch.autograd.grad(value, leaf)
    return grad_weighted_channel_map(leaf.detach()[0], gradient[0])


def match_saliency(
    query_map: torch.Tensor, result_map: torch.Tensor, descriptor: Callable[[torch.Tensor], torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Explain a match: saliency [H, W] of each image for the cosine similarity of their descriptors.

    ``query_map`` and ``result_map`` are [1, C, H, W] last feature maps; ``descriptor`` maps one to
    an L2-normalized [1, D] vector differentiably. Both images are explained by the gradient of
    the same score, so the maps show which parts of each made them match.
    """
    with torch.inference_mode(False), torch.enable_grad():
        query_leaf = query_map.detach().clone().requires_grad_(True)
        result_leaf = result_map.detach().clone().requires_grad_(True)
        similarity = (descriptor(query_leaf) * descriptor(result_leaf)).sum()
        query_gradient, result_gradient = torch.autograd.grad(similarity, [query_leaf, result_leaf])
    return (
        grad_weighted_channel_map(query_leaf.detach()[0], query_gradient[0]),
        grad_weighted_channel_map(result_leaf.detach()[0], result_gradient[0]),
    )
