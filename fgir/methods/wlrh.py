"""Weighted local region hashing (``wlrh``), supervised: compact binary codes from a trained checkpoint.

1. CroW-weight the last feature map: X' = w ⊙ S ⊙ X (``fgir.weighting``).
2. Divide the map into the checkpoint's local regions (default: the whole map plus a 2 x 2 grid)
   and average X' over each region's activated positions, those whose aggregation value exceeds
   the region's mean; L2-normalize each region feature (``fgir.hashing.regions``).
3. The checkpoint's hash network embeds every region with shared weights, scales the regions by
   learned weights and maps their concatenation to K outputs. The code is the sign of the outputs.
   Training pulls the codes of each class towards one binary hash center (``fgir.hashing``).

Descriptors are the ±1 codes themselves as float32 [B, K], not L2-normalized, and the retriever
ranks them by Hamming distance. The inner product of two codes is K - 2 * Hamming distance,
so a cosine-similarity ranking of the codes gives the same order.

An ITQ checkpoint (``train-hash --model itq``) gives the unsupervised baseline: sign of the ITQ
rotation of the CroW descriptor. A checkpoint trained with ``--regions global`` gives the ablation
without local regions. Train checkpoints with ``python -m fgir train-hash``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from fgir.backbones import Backbone
from fgir.errors import msg
from fgir.hashing.checkpoint import (
    MODEL_ITQ,
    TRAIN_COMMAND,
    CheckpointError,
    check_backbone_match,
    load_checkpoint,
    resolve_checkpoint_dir,
)
from fgir.hashing.encoder import HashEncoder
from fgir.hashing.regions import RegionFeatures, region_average_features, weighted_region_features
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod, register_method
from fgir.pooling import l2_normalize
from fgir.saliency import objective_saliency
from fgir.weighting import crow_weighted_map

# Hex digits of the checkpoint's sha256 in the cache key: retraining into the same file re-indexes.
_DIGEST_LENGTH = 16


@register_method
class WeightedLocalRegionHashing(RetrievalMethod):
    id = "wlrh"
    display_name = "Weighted local region hashing (supervised)"
    binary_codes = True

    def __init__(self, checkpoint: str | Path | None = None) -> None:
        if checkpoint is None:
            raise CheckpointError(
                msg("retrieval.wlrh_needs_checkpoint", command=TRAIN_COMMAND, folder=resolve_checkpoint_dir())
            )
        self.checkpoint = load_checkpoint(checkpoint)
        self.encoder = HashEncoder(self.checkpoint)

    def options(self) -> dict[str, object]:
        return {
            "checkpoint": self.checkpoint.digest[:_DIGEST_LENGTH],
            "model": self.checkpoint.model,
            "bits": self.checkpoint.bits,
            "regions": self.checkpoint.regions,
        }

    def _region_features(self, backbone: Backbone, images: torch.Tensor) -> RegionFeatures:
        check_backbone_match(self.checkpoint, backbone)
        return weighted_region_features(backbone.feature_maps(images).last, self.encoder.layout)

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            found = self._region_features(backbone, images)
            codes = self.encoder.codes(found.features, found.crow)
        return DescriptorBatch(descriptors=codes, boxes=None)

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        return self.describe_and_explain(backbone, image)[1]

    def describe_and_explain(self, backbone: Backbone, image: torch.Tensor) -> tuple[DescriptorBatch, Explanation]:
        check_backbone_match(self.checkpoint, backbone)
        with torch.inference_mode():
            feature_map = backbone.feature_maps(image).last
            found = weighted_region_features(feature_map, self.encoder.layout)
            codes = self.encoder.codes(found.features, found.crow)
        activated = found.activated.clone()
        code = codes.clone()

        def code_agreement(x: torch.Tensor) -> torch.Tensor:
            # How strongly the relaxed code tanh(outputs) agrees with the image's own binary code.
            return (torch.tanh(self._outputs(x, activated)) * code).sum()

        saliency = objective_saliency(feature_map, code_agreement)
        uses_regions = self.checkpoint.model != MODEL_ITQ
        explanation = Explanation(
            spatial_weights=found.spatial[0].numpy(),
            channel_weights=found.channel[0].numpy(),
            saliency=saliency.numpy(),
            mask=found.activated[0, 0].numpy() if uses_regions else None,
            regions=found.boxes if uses_regions else None,
            code=codes[0].numpy().astype(np.int8),
        )
        return DescriptorBatch(descriptors=codes, boxes=None), explanation

    def _outputs(self, feature_map: torch.Tensor, activated: torch.Tensor) -> torch.Tensor:
        """Compute the hash outputs [B, K] of a [B, C, H, W] map differentiably, with fixed activated positions."""
        weighted, _, _ = crow_weighted_map(feature_map)
        features = region_average_features(weighted, activated)
        crow = l2_normalize(weighted.sum(dim=(2, 3)))
        return self.encoder.outputs(features, crow)

    def similarity_descriptor(self, feature_map: torch.Tensor) -> torch.Tensor:
        """Compute the L2-normalized relaxed code tanh(outputs), holding the activated positions constant."""
        with torch.no_grad():
            activated = weighted_region_features(feature_map.detach(), self.encoder.layout).activated
        return l2_normalize(torch.tanh(self._outputs(feature_map, activated)).float())
