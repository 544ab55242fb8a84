"""Global average pooling (``gap``): the plain baseline descriptor."""

from __future__ import annotations

import torch

from fgir.backbones import Backbone
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod, register_method
from fgir.pooling import average_pool, l2_normalize
from fgir.saliency import objective_saliency
from fgir.weighting import channel_weights, spatial_weights


@register_method
class GlobalAveragePooling(RetrievalMethod):
    id = "gap"
    display_name = "Global average pooling (baseline)"

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            feature_map = backbone.feature_maps(images).last
            return DescriptorBatch(descriptors=l2_normalize(average_pool(feature_map)).float(), boxes=None)

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        with torch.inference_mode():
            feature_map = backbone.feature_maps(image).last
        # Energy of the pooled vector: its gradient weights each channel by its own mean activation.
        saliency = objective_saliency(feature_map, lambda x: average_pool(x).pow(2).sum())
        return Explanation(
            spatial_weights=spatial_weights(feature_map)[0].numpy(),
            channel_weights=channel_weights(feature_map)[0].numpy(),
            saliency=saliency.numpy(),
        )
