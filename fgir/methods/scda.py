"""Selective convolutional descriptor aggregation: ``scda`` and ``scda_flip`` (SCDA_flip+).

Wei, Luo, Wu, Zhou, "Selective Convolutional Descriptor Aggregation for Fine-Grained Image
Retrieval", IEEE TIP 2017. Unlike ``wmtl``, nothing is CroW-weighted: the raw maps are pooled.

- ``scda``: the aggregation map A = Σ_c X_c of the last map, positions with A > mean(A), the
  largest 8-connected component; average- and max-pool over the selected positions only, L2 each,
  concatenated [2C], then L2. The component's bounding box is the predicted object box.
- ``scda_flip``: [avg, max of the last map, 0.5·avg, 0.5·max of the earlier (aux) map] for the
  image and for its mirror, concatenated [2 (2C + 2C_aux)], then L2. The aux map keeps the
  positions above its own mean AND inside the last map's component (upsampled, nearest). It gets
  no component step of its own. Backbones without an aux map skip those parts.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from fgir.backbones import Backbone, FeatureMaps
from fgir.localization import largest_component_masks, mean_threshold_mask, upsample_mask
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod, register_method
from fgir.methods.wmtl import AUX_WEIGHT, boxes_from_masks, selected_parts
from fgir.pooling import l2_normalize, masked_average_pool
from fgir.saliency import objective_saliency
from fgir.weighting import aggregation_map, channel_weights, spatial_weights

logger = logging.getLogger(__name__)


def select_object(feature_map: torch.Tensor) -> torch.Tensor:
    """Select the largest above-mean component of a raw [B, C, H, W] map's aggregation map: bool [B, H, W]."""
    return largest_component_masks(mean_threshold_mask(aggregation_map(feature_map)))


def scda_parts(maps: FeatureMaps, fuse_aux: bool) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Compute SCDA's L2-normalized parts of one batch and the last map's mask.

    Returns ([avg, max] or [avg, max, 0.5·avg_aux, 0.5·max_aux], mask [B, H, W]).
    """
    mask = select_object(maps.last)
    parts = selected_parts(maps.last, mask)
    if fuse_aux and maps.aux is not None:
        aux_mask = mean_threshold_mask(aggregation_map(maps.aux))
        aux_mask &= upsample_mask(mask, tuple(maps.aux.shape[-2:]))
        parts += [AUX_WEIGHT * part for part in selected_parts(maps.aux, aux_mask)]
    return parts, mask


class _SelectiveAggregation(RetrievalMethod):
    localizes = True

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        with torch.inference_mode():
            feature_map = backbone.feature_maps(image).last
            mask = select_object(feature_map)

        saliency = objective_saliency(feature_map, lambda x: masked_average_pool(x, mask).pow(2).sum())
        box = boxes_from_masks(mask)[0]
        return Explanation(
            spatial_weights=spatial_weights(feature_map)[0].numpy(),
            channel_weights=channel_weights(feature_map)[0].numpy(),
            saliency=saliency.numpy(),
            mask=mask[0].numpy(),
            box=None if np.isnan(box).any() else box,
        )


@register_method
class SelectiveAggregation(_SelectiveAggregation):
    id = "scda"
    display_name = "SCDA (selective aggregation, last map)"

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            parts, mask = scda_parts(backbone.feature_maps(images), fuse_aux=False)
            descriptors = l2_normalize(torch.cat(parts, dim=1)).float()
            return DescriptorBatch(descriptors=descriptors, boxes=boxes_from_masks(mask))


@register_method
class SelectiveAggregationFlipPlus(_SelectiveAggregation):
    id = "scda_flip"
    display_name = "SCDA_flip+ (two layers, image and mirror)"

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            maps = backbone.feature_maps(images)
            if maps.aux is None:
                logger.warning("Backbone %s has no aux feature map; scda_flip uses the last map only", backbone.id)
            parts, mask = scda_parts(maps, fuse_aux=True)
            mirrored_parts, _ = scda_parts(backbone.feature_maps(torch.flip(images, dims=[3])), fuse_aux=True)
            descriptors = l2_normalize(torch.cat(parts + mirrored_parts, dim=1)).float()
            return DescriptorBatch(descriptors=descriptors, boxes=boxes_from_masks(mask))
