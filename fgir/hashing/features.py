"""Backbone features for hash training, computed once per (gallery, backbone, weights) and cached.

The features of one image are its CroW descriptor [C] followed by its region features [R, C]
(see :mod:`fgir.hashing.regions`), stored flat as one [C * (1 + R)] row. They live in the gallery
cache (``fgir.cache``) as an entry of the unregistered method ``wlrh_features``, so they are
written atomically, loaded with ``allow_pickle=False``, rebuilt when the gallery changes, and an
interrupted extraction resumes from its last finished chunk. Each training epoch then costs only
the hash network. The default layout and its global ablation share one entry (see
:func:`stored_layout`); any other layout gets an entry of its own.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch

from fgir.backbones import Backbone
from fgir.cache import CacheKey, GalleryCache
from fgir.errors import FgirError, msg
from fgir.gallery import Gallery
from fgir.hashing.regions import DEFAULT_LAYOUT, parse_region_layout, region_count, weighted_region_features
from fgir.indexing import DEFAULT_BATCH_SIZE, ProgressCallback, compute_embeddings
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod

logger = logging.getLogger(__name__)


class RegionFeatureExtractor(RetrievalMethod):
    """Extractor of the [CroW | region features] rows of the feature cache, not a retrieval method of its own."""

    id = "wlrh_features"
    display_name = "Region features for hash training"
    version = "1"

    def __init__(self, layout: str = DEFAULT_LAYOUT) -> None:
        region_count(layout)  # Rejects a malformed layout before any image is read.
        self.layout = layout

    def options(self) -> dict[str, object]:
        return {"regions": self.layout}

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        with torch.inference_mode():
            found = weighted_region_features(backbone.feature_maps(images).last, self.layout)
            rows = torch.cat([found.crow, found.features.flatten(1)], dim=1)  # [B, C * (1 + R)]
        return DescriptorBatch(descriptors=rows.float(), boxes=None)

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        raise NotImplementedError("wlrh_features only feeds hash training; explain images with the wlrh method")


@dataclass
class FeatureSet:
    """Cached features of the readable images of one gallery."""

    crow: np.ndarray  # [N, C] float32, L2-normalized CroW descriptors
    regions: np.ndarray  # [N, R, C] float32, each region L2-normalized
    labels: np.ndarray  # [N] int64 class ids
    item_indices: np.ndarray  # [N] int64 positions in Gallery.items
    layout: str

    @property
    def channels(self) -> int:
        return int(self.crow.shape[1])

    def subset(self, selection: np.ndarray) -> FeatureSet:
        """Select the rows picked by a bool mask or an index array."""
        return FeatureSet(
            self.crow[selection],
            self.regions[selection],
            self.labels[selection],
            self.item_indices[selection],
            self.layout,
        )


def split_feature_rows(rows: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray]:
    """Split cached rows [N, C * (1 + R)] into CroW descriptors [N, C] and region features [N, R, C]."""
    regions = region_count(layout)
    count, width = rows.shape
    if width % (1 + regions):
        raise FgirError(msg("hashing.feature_rows_layout", width=width, layout=layout, regions=regions))
    channels = width // (1 + regions)
    return rows[:, :channels], rows[:, channels:].reshape(count, regions, channels)


def stored_layout(layout: str) -> str:
    """Return the layout whose cache entry contains ``layout``'s features.

    A layout whose regions are the first regions of the default layout ('global' is region 0 of
    'global+grid2x2') is sliced from the default layout's entry, so the default model and its
    global ablation share one backbone pass over the gallery.
    """
    boxes, default_boxes = parse_region_layout(layout), parse_region_layout(DEFAULT_LAYOUT)
    if len(boxes) <= len(default_boxes) and np.array_equal(boxes, default_boxes[: len(boxes)]):
        return DEFAULT_LAYOUT
    return layout


def feature_cache_key(gallery: Gallery, backbone: Backbone, layout: str) -> CacheKey:
    return CacheKey(
        gallery_fingerprint=gallery.fingerprint(),
        method=RegionFeatureExtractor(layout).cache_id,
        backbone=backbone.id,
        weights=backbone.weights_id,
        preprocessing=backbone.spec.preprocessing_id,
    )


def load_or_compute_features(
    gallery: Gallery,
    backbone: Backbone,
    layout: str,
    cache: GalleryCache,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> FeatureSet:
    """Load the gallery's features from the cache, computing and saving them when missing or stale."""
    source_layout = stored_layout(layout)
    extractor = RegionFeatureExtractor(source_layout)
    key = feature_cache_key(gallery, backbone, source_layout)
    embeddings = cache.load(key, gallery)
    if embeddings is None:
        logger.info("Computing %s features of %d images on %s", source_layout, len(gallery.items), backbone.id)
        started = time.perf_counter()
        embeddings = compute_embeddings(gallery, extractor, backbone, cache.partial_dir(key), batch_size, progress)
        logger.info("Computed features in %.1f s", time.perf_counter() - started)
        cache.save(key, gallery, embeddings)
    else:
        logger.info("Loaded %d cached feature rows from %s", len(embeddings.descriptors), cache.entry_dir(key))
        if progress:
            progress(len(gallery.items), len(gallery.items))
    if embeddings.failed:
        logger.warning("%d images were skipped as unreadable, e.g. %s", len(embeddings.failed), embeddings.failed[0][0])
    if len(embeddings.descriptors) == 0:
        raise FgirError(msg("hashing.no_readable_images", root=gallery.image_root))
    crow, regions = split_feature_rows(embeddings.descriptors, source_layout)
    regions = regions[:, : region_count(layout)]
    labels = np.array([gallery.items[int(index)].label for index in embeddings.item_indices], dtype=np.int64)
    return FeatureSet(crow, regions, labels, embeddings.item_indices.astype(np.int64), layout)
