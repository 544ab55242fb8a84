"""Maximum activations of convolutions (``mac``): global max pooling of the last feature map.

Tolias, Sicre, Jégou, "Particular Object Retrieval with Integral Max-Pooling of CNN Activations", ICLR 2016.
"""

from __future__ import annotations

import torch

from fgir.methods.base import register_method
from fgir.methods.pooled import GlobalPoolingMethod
from fgir.pooling import max_pool


@register_method
class MaximumActivations(GlobalPoolingMethod):
    id = "mac"
    display_name = "MAC (global max pooling)"

    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        return max_pool(feature_map)
