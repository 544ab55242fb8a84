"""Cross-dimensional weighting (``crow``): sum over positions of w ⊙ S ⊙ X, then L2.

Kalantidis, Mellina, Osindero, ECCV Workshops 2016; the weights are in ``fgir.weighting``.
The published pipeline adds PCA-whitening and a second L2 step; here that is the evaluate
command's ``--whiten`` option.
"""

from __future__ import annotations

import torch

from fgir.aggregation import crow_pool
from fgir.methods.base import register_method
from fgir.methods.pooled import GlobalPoolingMethod


@register_method
class CrossDimensionalWeighting(GlobalPoolingMethod):
    id = "crow"
    display_name = "CroW (cross-dimensional weighting)"

    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        return crow_pool(feature_map)
