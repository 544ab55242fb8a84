"""Sum-pooled convolutional features (``spoc``) with the Gaussian centre prior, sigma = min(H, W) / 6.

Babenko, Lempitsky, "Aggregating Deep Convolutional Features for Image Retrieval", ICCV 2015.
This is the variant with the centre prior ("centering"), not plain average pooling, which is ``gap``.
"""

from __future__ import annotations

import torch

from fgir.aggregation import spoc_pool
from fgir.methods.base import register_method
from fgir.methods.pooled import GlobalPoolingMethod


@register_method
class SumPooledConvolutional(GlobalPoolingMethod):
    id = "spoc"
    display_name = "SPoC (sum pooling, Gaussian centre prior)"

    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        return spoc_pool(feature_map)
