"""Global average pooling (``gap``): the plain baseline descriptor."""

from __future__ import annotations

import torch

from fgir.methods.base import register_method
from fgir.methods.pooled import GlobalPoolingMethod
from fgir.pooling import average_pool


@register_method
class GlobalAveragePooling(GlobalPoolingMethod):
    id = "gap"
    display_name = "Global average pooling (baseline)"

    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        return average_pool(feature_map)
