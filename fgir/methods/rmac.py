"""Regional maximum activations of convolutions (``rmac``), L = 3 scales plus the whole map.

Tolias, Sicre, Jégou, ICLR 2016: each region's max-pooled vector is L2-normalized, the vectors
are summed and the sum is L2-normalized. The regions are listed by ``fgir.aggregation.rmac_regions``;
the per-region whitening of the paper is not applied.
"""

from __future__ import annotations

import torch

from fgir.aggregation import rmac_pool
from fgir.methods.base import register_method
from fgir.methods.pooled import GlobalPoolingMethod


@register_method
class RegionalMaximumActivations(GlobalPoolingMethod):
    id = "rmac"
    display_name = "R-MAC (regional max pooling, L = 3)"

    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        return rmac_pool(feature_map)
