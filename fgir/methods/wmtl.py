"""Weighted-map target localization (``wmtl``), unsupervised.

1. CroW-weight the last feature map: X' = w ⊙ S ⊙ X.
2. Select the positions where the aggregation map of X' exceeds its mean and keep the largest
   8-connected component; its bounding box is the target box.
3. Average- and max-pool X' over the selected positions only, L2-normalize each. Where the
   backbone has an earlier map, pool its CroW-weighted map the same way over the positions that
   pass its own mean threshold AND the upsampled mask, and weight those parts by ``AUX_WEIGHT``.
4. Optionally average with the descriptor of the mirrored image, then L2-normalize.

The saliency map is a gradient-weighted channel combination whose objective is the energy of
the selected (unnormalized) average-pooled descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fgir.backbones import Backbone, FeatureMaps
from fgir.localization import (
    largest_component_masks,
    mask_to_box,
    mean_threshold_mask,
    upsample_mask,
)
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod, register_method
from fgir.pooling import l2_normalize, masked_average_pool, masked_max_pool
from fgir.saliency import objective_saliency
from fgir.weighting import aggregation_map, crow_weighted_map

# Weight of the earlier layer's parts in the fused descriptor (SCDA's choice for relu5_2).
AUX_WEIGHT = 0.5


@dataclass
class Localization:
    weighted: torch.Tensor  # [B, C, H, W] CroW-weighted map X'
    spatial: torch.Tensor  # [B, H, W]
    channel: torch.Tensor  # [B, C]
    mask: torch.Tensor  # [B, H, W] bool, largest component


def localize(feature_map: torch.Tensor) -> Localization:
    """Weight a [B, C, H, W] feature map and select its largest above-mean component."""
    weighted, spatial, channel = crow_weighted_map(feature_map)
    mask = largest_component_masks(mean_threshold_mask(aggregation_map(weighted)))
    return Localization(weighted, spatial, channel, mask)


def selected_parts(feature_map: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
    """Average- and max-pool a [B, C, H, W] map over a [B, H, W] mask, each L2-normalized."""
    return [l2_normalize(masked_average_pool(feature_map, mask)), l2_normalize(masked_max_pool(feature_map, mask))]


def boxes_from_masks(mask: torch.Tensor) -> np.ndarray:
    """Fractional [B, 4] boxes of [B, H, W] masks; NaN rows where a mask is empty."""
    boxes = np.full((mask.shape[0], 4), np.nan, dtype=np.float32)
    for row, single in enumerate(mask.cpu().numpy()):
        box = mask_to_box(single)
        if box is not None:
            boxes[row] = box
    return boxes


@register_method
class WeightedMapTargetLocalization(RetrievalMethod):
    id = "wmtl"
    display_name = "Weighted-map target localization"
    localizes = True

    def __init__(self, flip: bool = False, fuse_aux: bool = True) -> None:
        self.flip = flip
        self.fuse_aux = fuse_aux

    def options(self) -> dict[str, object]:
        return {"flip": self.flip, "fuse_aux": self.fuse_aux}

    def _unnormalized(self, maps: FeatureMaps) -> tuple[torch.Tensor, Localization]:
        found = localize(maps.last)
        parts = selected_parts(found.weighted, found.mask)
        if self.fuse_aux and maps.aux is not None:
            aux_weighted, _, _ = crow_weighted_map(maps.aux)
            aux_mask = mean_threshold_mask(aggregation_map(aux_weighted))
            aux_mask &= upsample_mask(found.mask, tuple(maps.aux.shape[-2:]))
            parts += [AUX_WEIGHT * part for part in selected_parts(aux_weighted, aux_mask)]
        return torch.cat(parts, dim=1), found

    def _describe_maps(self, backbone: Backbone, images: torch.Tensor, maps: FeatureMaps) -> tuple[DescriptorBatch, Localization]:
        descriptor, found = self._unnormalized(maps)
        if self.flip:
            mirrored, _ = self._unnormalized(backbone.feature_maps(torch.flip(images, dims=[3])))
            descriptor = descriptor + mirrored
        return DescriptorBatch(descriptors=l2_normalize(descriptor).float(), boxes=boxes_from_masks(found.mask)), found

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            batch, _ = self._describe_maps(backbone, images, backbone.feature_maps(images))
        return batch

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        with torch.inference_mode():
            maps = backbone.feature_maps(image)
            found = localize(maps.last)
        return self._explain_localization(maps.last, found)

    def describe_and_explain(self, backbone: Backbone, image: torch.Tensor) -> tuple[DescriptorBatch, Explanation]:
        with torch.inference_mode():
            maps = backbone.feature_maps(image)
            batch, found = self._describe_maps(backbone, image, maps)
        return batch, self._explain_localization(maps.last, found)

    def similarity_descriptor(self, feature_map: torch.Tensor) -> torch.Tensor:
        """Compute the last map's part of the wmtl descriptor, with the selection mask held constant."""
        with torch.no_grad():
            mask = localize(feature_map.detach()).mask
        weighted, _, _ = crow_weighted_map(feature_map)
        return l2_normalize(torch.cat(selected_parts(weighted, mask), dim=1))

    @staticmethod
    def _explain_localization(feature_map: torch.Tensor, found: Localization) -> Explanation:
        mask = found.mask

        def selected_energy(x: torch.Tensor) -> torch.Tensor:
            weighted, _, _ = crow_weighted_map(x)
            return masked_average_pool(weighted, mask).pow(2).sum()

        saliency = objective_saliency(feature_map, selected_energy)
        box = boxes_from_masks(mask)[0]
        return Explanation(
            spatial_weights=found.spatial[0].numpy(),
            channel_weights=found.channel[0].numpy(),
            saliency=saliency.numpy(),
            mask=mask[0].numpy(),
            box=None if np.isnan(box).any() else box,
        )
