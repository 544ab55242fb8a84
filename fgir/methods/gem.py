"""Generalized-mean pooling (``gem``) with p = 3 and activations clamped below at 1e-6.

Radenović, Tolias, Chum, "Fine-tuning CNN Image Retrieval with No Human Annotation", TPAMI 2018.
p is fixed here, not learned.
"""

from __future__ import annotations

import torch

from fgir.aggregation import gem_pool
from fgir.methods.base import register_method
from fgir.methods.pooled import GlobalPoolingMethod


@register_method
class GeneralizedMeanPooling(GlobalPoolingMethod):
    id = "gem"
    display_name = "GeM (generalized mean, p = 3)"

    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        return gem_pool(feature_map)
