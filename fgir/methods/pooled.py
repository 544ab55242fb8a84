"""Base class of the methods that pool the whole last feature map into one vector (mac, spoc, gem, ...)."""

from __future__ import annotations

from abc import abstractmethod

import torch

from fgir.backbones import Backbone
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod
from fgir.pooling import l2_normalize
from fgir.saliency import objective_saliency
from fgir.weighting import channel_weights, spatial_weights


class GlobalPoolingMethod(RetrievalMethod):
    """A method whose descriptor is ``l2_normalize(pool(last feature map))``; it gives no boxes.

    The explanation shows CroW's weights of the raw map and the saliency of the energy
    ||pool(X)||², whose gradient shows which positions the pooled vector depends on.
    """

    @abstractmethod
    def pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        """Aggregate a [B, C, H, W] map into an unnormalized [B, D] vector."""

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            feature_map = backbone.feature_maps(images).last
            return DescriptorBatch(descriptors=l2_normalize(self.pool(feature_map)).float(), boxes=None)

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        with torch.inference_mode():
            feature_map = backbone.feature_maps(image).last
        saliency = objective_saliency(feature_map, lambda x: self.pool(x).pow(2).sum())
        return Explanation(
            spatial_weights=spatial_weights(feature_map)[0].numpy(),
            channel_weights=channel_weights(feature_map)[0].numpy(),
            saliency=saliency.numpy(),
        )
