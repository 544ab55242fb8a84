"""The retrieval pipeline: gallery -> cached descriptors -> index -> ranked matches for a query."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fgir.backbones import Backbone
from fgir.cache import CacheKey, GalleryCache, GalleryEmbeddings
from fgir.errors import GalleryError, msg
from fgir.gallery import Gallery, GalleryItem
from fgir.index import BinaryCodeIndex, DescriptorIndex
from fgir.indexing import DEFAULT_BATCH_SIZE, ProgressCallback, compute_embeddings
from fgir.localization import box_to_pixels
from fgir.methods import Explanation, RetrievalMethod
from fgir.saliency import match_saliency

logger = logging.getLogger(__name__)


@dataclass
class Match:
    """One ranked gallery image."""

    rank: int  # 1-based
    item: GalleryItem
    path: Path
    score: float  # cosine similarity
    box: np.ndarray | None  # [x0, y0, x1, y1] pixels, or None
    correct: bool | None  # same class as the query, None when the query's class is unknown


@dataclass
class QueryResult:
    """Ranked matches of one query, with its box (pixels) and timings in seconds per stage."""

    matches: list[Match]
    query_box: np.ndarray | None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready form: the contract of the CLI's --json output and the app's API."""
        return {
            "query_box": _box_list(self.query_box),
            "results": [
                {
                    "rank": match.rank,
                    "image_path": str(match.path),
                    "relpath": match.item.relpath,
                    "class_id": match.item.label,
                    "class_name": match.item.class_name,
                    "score": round(match.score, 6),
                    "box": _box_list(match.box),
                    "gt_box": list(match.item.gt_box) if match.item.gt_box else None,
                    "correct": match.correct,
                }
                for match in self.matches
            ],
        }


def _box_list(box: np.ndarray | None) -> list[float] | None:
    if box is None or np.isnan(box).any():
        return None
    return [round(float(value), 2) for value in box]


class Retriever:
    """Searches one gallery with one method and backbone; builds or loads the gallery cache."""

    def __init__(self, gallery: Gallery, method: RetrievalMethod, backbone: Backbone, cache: GalleryCache) -> None:
        self.gallery, self.method, self.backbone, self.cache = gallery, method, backbone, cache
        self._embeddings: GalleryEmbeddings | None = None
        self._index: DescriptorIndex | BinaryCodeIndex | None = None
        self._lock = threading.Lock()

    @property
    def key(self) -> CacheKey:
        return CacheKey(
            gallery_fingerprint=self.gallery.fingerprint(),
            method=self.method.cache_id,
            backbone=self.backbone.id,
            weights=self.backbone.weights_id,
            preprocessing=self.backbone.spec.preprocessing_id,
        )

    @property
    def embeddings(self) -> GalleryEmbeddings:
        if self._embeddings is None:
            raise RuntimeError("Call prepare() before searching")
        return self._embeddings

    def prepare(self, progress: ProgressCallback | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> GalleryEmbeddings:
        """Load the gallery's descriptors from the cache, computing and saving them when missing or stale."""
        with self._lock:
            if self._embeddings is not None:
                return self._embeddings
            key = self.key
            embeddings = self.cache.load(key, self.gallery)
            if embeddings is None:
                logger.info("Indexing %d images with %s on %s", len(self.gallery.items), self.method.cache_id, self.backbone.id)
                started = time.perf_counter()
                embeddings = compute_embeddings(
                    self.gallery, self.method, self.backbone, self.cache.partial_dir(key), batch_size, progress
                )
                logger.info("Indexed %d images in %.1f s", len(embeddings.descriptors), time.perf_counter() - started)
                if len(embeddings.descriptors) == 0:
                    example = embeddings.failed[0] if embeddings.failed else ("?", "?")
                    raise GalleryError(
                        msg(
                            "retrieval.no_readable_image",
                            count=len(embeddings.failed),
                            example=example[0],
                            reason=example[1],
                        )
                    )
                self.cache.save(key, self.gallery, embeddings)
            else:
                logger.info("Loaded %d cached descriptors from %s", len(embeddings.descriptors), self.cache.entry_dir(key))
                if progress:
                    progress(len(self.gallery.items), len(self.gallery.items))
            if embeddings.failed:
                logger.warning(
                    "%d gallery images were skipped as unreadable, e.g. %s",
                    len(embeddings.failed),
                    ", ".join(relpath for relpath, _ in embeddings.failed[:5]),
                )
            if self.method.binary_codes:
                self._index = BinaryCodeIndex(embeddings.descriptors)  # Hamming ranking of ±1 codes.
            else:
                self._index = DescriptorIndex(embeddings.descriptors)
            self._embeddings = embeddings
            return embeddings

    def search(self, image: Image.Image, top_k: int, query_label: int | None = None) -> QueryResult:
        """Rank the gallery for one RGB image; ``query_label`` marks matches correct or not."""
        result, _ = self._search(image, top_k, query_label, explain=False)
        return result

    def search_and_explain(
        self, image: Image.Image, top_k: int, query_label: int | None = None
    ) -> tuple[QueryResult, Explanation]:
        """Rank the gallery and explain the query, sharing one forward pass where the method allows."""
        result, explanation = self._search(image, top_k, query_label, explain=True)
        assert explanation is not None
        return result, explanation

    def _search(
        self, image: Image.Image, top_k: int, query_label: int | None, explain: bool
    ) -> tuple[QueryResult, Explanation | None]:
        self.prepare()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        pixels = self.backbone.preprocess(image)[None]
        explanation = None
        if explain:
            batch, explanation = self.method.describe_and_explain(self.backbone, pixels)
        else:
            batch = self.method.describe(self.backbone, pixels)
        timings["describe+explain" if explain else "describe"] = time.perf_counter() - started

        query_box = None
        if batch.boxes is not None and not np.isnan(batch.boxes[0]).any():
            query_box = box_to_pixels(batch.boxes[0], image.width, image.height)
        started = time.perf_counter()
        scores, positions = self._index.search(batch.descriptors.numpy(), top_k)
        timings["search"] = time.perf_counter() - started
        return QueryResult(self._matches(scores[0], positions[0], query_label), query_box, timings), explanation

    def _matches(self, scores: np.ndarray, positions: np.ndarray, query_label: int | None) -> list[Match]:
        matches = []
        for rank, (score, position) in enumerate(zip(scores, positions), start=1):
            item_index = int(self.embeddings.item_indices[position])
            item = self.gallery.items[item_index]
            box = self.embeddings.boxes[position]
            matches.append(
                Match(
                    rank=rank,
                    item=item,
                    path=self.gallery.path_of(item),
                    score=float(score),
                    box=None if np.isnan(box).any() else box,
                    correct=None if query_label is None else item.label == query_label,
                )
            )
        return matches

    def explain(self, image: Image.Image) -> Explanation:
        """Weighting maps, mask, box and saliency of one RGB image under this method."""
        return explain_image(self.method, self.backbone, image)


def explain_match(
    method: RetrievalMethod, backbone: Backbone, query: Image.Image, result: Image.Image
) -> tuple[np.ndarray, np.ndarray]:
    """Saliency maps [h, w] of a query and one result for their similarity under ``method``."""
    with torch.inference_mode():
        query_map = backbone.feature_maps(backbone.preprocess(query)[None]).last
        result_map = backbone.feature_maps(backbone.preprocess(result)[None]).last
    query_saliency, result_saliency = match_saliency(query_map, result_map, method.similarity_descriptor)
    return query_saliency.numpy(), result_saliency.numpy()


def explain_image(method: RetrievalMethod, backbone: Backbone, image: Image.Image) -> Explanation:
    """Explain one RGB image without a gallery."""
    with torch.no_grad():
        pixels = backbone.preprocess(image)[None]
    return method.explain(backbone, pixels)
