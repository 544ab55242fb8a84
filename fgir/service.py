"""The app's service layer: keeps the gallery and the retrievers, runs queries, renders views.

The UI only wires widgets to these methods, so everything here is testable without a browser.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from fgir import views
from fgir.backbones import Backbone, load_backbone
from fgir.archive import extract_zip
from fgir.cache import GalleryCache
from fgir.errors import FgirError, GalleryError, msg
from fgir.gallery import Gallery, GalleryItem, is_cub_root, open_gallery
from fgir.hashing.checkpoint import TRAIN_COMMAND
from fgir.imageio import load_image
from fgir.methods import Explanation, create_method
from fgir.pipeline import QueryResult, Retriever, explain_image, explain_match
from fgir.walkthrough import Step, build_walkthrough

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
EXAMPLE_QUERY_COUNT = 8
CLASSROOM_EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "classroom_examples.json"
COMPARE_TOP_K = 5
HASHING_METHOD = "wlrh"


@dataclass
class MethodComparison:
    """Top results of one method for the compared query."""

    method_id: str
    results: list[tuple[np.ndarray, str]]
    precision: float | None  # share of the shown results in the query's class, None when unknown
    error: FgirError | None = None  # shown in the page's language


@dataclass
class QueryViews:
    """Everything the UI shows for one query, as small RGB arrays and JSON-ready data."""

    query: np.ndarray  # query with predicted (green) and ground-truth (amber) boxes
    spatial: np.ndarray  # spatial weights over the query
    channel_plot: np.ndarray
    saliency: np.ndarray
    results: list[tuple[np.ndarray, str]] = field(default_factory=list)  # (thumbnail, caption)
    payload: dict = field(default_factory=dict)
    # Status lines as (text key, parameters), so the UI can show them in the user's language.
    notes: list[tuple[str, dict]] = field(default_factory=list)


class RetrievalService:
    """One gallery, lazily built retrievers per (method, backbone), and query rendering."""

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        weights: dict[str, Path] | None = None,
        allow_random_weights: bool = False,
    ) -> None:
        self.cache = GalleryCache(cache_dir)
        self.weights = weights or {}
        self.allow_random_weights = allow_random_weights
        self.gallery: Gallery | None = None
        self._known_queries: dict[str, GalleryItem] = {}
        self._retrievers: dict[tuple[str, str, str], Retriever] = {}
        self.hash_checkpoint: Path | None = None  # used by the wlrh method
        self._lock = threading.Lock()

    # --- gallery -------------------------------------------------------------------------
    def set_gallery(
        self, path: str | Path, split: str | None = None, classes: str | None = None, fingerprint_mode: str | None = None
    ) -> Gallery:
        """Open a gallery; later queries search it. Known CUB images become labelled queries.

        ``fingerprint_mode`` "content" keys the cache by image bytes, as exported Spaces need,
        because a git clone resets modification times.
        """
        gallery = open_gallery(path, split, classes)
        if fingerprint_mode is not None:
            gallery.fingerprint_mode = fingerprint_mode
        known = self._index_known_images(gallery)
        with self._lock:
            self.gallery = gallery
            self._known_queries = known
            self._retrievers.clear()
        return gallery

    def set_gallery_from_zip(self, archive: str | Path) -> Gallery:
        """Extract an uploaded zip of class folders under the cache folder and open it."""
        archive = Path(archive)
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
        destination = self.cache.root / "uploads" / digest
        root = extract_zip(archive, destination)
        return self.set_gallery(root)

    def _index_known_images(self, gallery: Gallery) -> dict[str, GalleryItem]:
        """Map file names to items over the whole root (every split) to recognise example queries.

        Gradio copies uploaded and example files under new folders but keeps the file name, and
        CUB file names are unique; ambiguous names are left out.
        """
        source = gallery
        if gallery.kind == "cub" and gallery.split != "all":
            source = open_gallery(gallery.image_root.parent, "all", gallery.classes)
        by_name: dict[str, GalleryItem] = {}
        ambiguous: set[str] = set()
        for item in source.items:
            name = Path(item.relpath).name
            if name in by_name:
                ambiguous.add(name)
            by_name[name] = item
        return {name: item for name, item in by_name.items() if name not in ambiguous}

    def known_query(self, path: str | Path) -> GalleryItem | None:
        return self._known_queries.get(Path(path).name)

    def example_queries(self, count: int = EXAMPLE_QUERY_COUNT) -> list[Path]:
        """Pick example queries spread over the classes: CUB test images, else gallery images."""
        if self.gallery is None:
            return []
        candidates = self.gallery.items
        root = self.gallery.image_root
        if self.gallery.kind == "cub" and self.gallery.split == "train" and is_cub_root(root.parent):
            test = open_gallery(root.parent, "test", self.gallery.classes)
            candidates = test.items
        first_per_class: dict[int, GalleryItem] = {}
        for item in candidates:
            first_per_class.setdefault(item.label, item)
        labels = sorted(first_per_class)
        step = max(1, len(labels) // count)
        return [root / first_per_class[label].relpath for label in labels[::step][:count]]

    def classroom_queries(self) -> list[Path]:
        """Curated teaching examples from ``assets/classroom_examples.json`` that exist in this gallery's root."""
        if self.gallery is None or self.gallery.kind != "cub":
            return []
        try:
            entries = json.loads(CLASSROOM_EXAMPLES.read_text(encoding="utf-8"))["examples"]
        except (OSError, ValueError, KeyError) as error:
            logger.warning("Classroom examples unavailable (%s): %s", CLASSROOM_EXAMPLES, error)
            return []
        paths = [self.gallery.image_root / entry["relpath"] for entry in entries]
        return [path for path in paths if path.is_file()]

    # --- models --------------------------------------------------------------------------
    def backbone(self, backbone_id: str) -> Backbone:
        return load_backbone(backbone_id, self.weights.get(backbone_id), self.allow_random_weights)

    def set_hash_checkpoint(self, path: str | Path | None) -> None:
        """Choose the wlrh checkpoint; retrievers built with another checkpoint are kept apart."""
        self.hash_checkpoint = Path(path) if path else None

    def create_method(self, method_id: str):
        """Create a method with the options this service holds for it (the wlrh checkpoint)."""
        if method_id != HASHING_METHOD:
            return create_method(method_id)
        if self.hash_checkpoint is None:
            raise GalleryError(msg("retrieval.app_needs_checkpoint", command=TRAIN_COMMAND))
        return create_method(method_id, checkpoint=self.hash_checkpoint)

    def retriever(self, method_id: str, backbone_id: str) -> Retriever:
        if self.gallery is None:
            raise GalleryError(msg("retrieval.no_gallery"))
        key = (method_id, backbone_id, str(self.hash_checkpoint) if method_id == HASHING_METHOD else "")
        with self._lock:
            if key not in self._retrievers:
                self._retrievers[key] = Retriever(self.gallery, self.create_method(method_id), self.backbone(backbone_id), self.cache)
            return self._retrievers[key]

    def prepare(self, method_id: str, backbone_id: str, progress: ProgressCallback | None = None) -> Retriever:
        retriever = self.retriever(method_id, backbone_id)
        retriever.prepare(progress=progress)
        return retriever

    # --- queries -------------------------------------------------------------------------
    def search(
        self, image_path: str | Path, method_id: str, backbone_id: str, top_k: int, progress: ProgressCallback | None = None
    ) -> QueryViews:
        """Rank the gallery for one image file and render the results with the query's explanation."""
        image = load_image(image_path)
        retriever = self.prepare(method_id, backbone_id, progress)
        known = self.known_query(image_path)
        result, explanation = retriever.search_and_explain(image, top_k, known.label if known else None)
        rendered = self._render_query(image, explanation, result.query_box, known)
        bits = len(explanation.code) if retriever.method.binary_codes and explanation.code is not None else None
        rendered.results = [self._render_match(match, bits) for match in result.matches]
        rendered.payload = {
            "method": method_id,
            "backbone": backbone_id,
            "weights": retriever.backbone.weights_id,
            "random_weights": retriever.backbone.is_random,
            "query_class": known.class_name if known else None,
            **result.to_dict(),
        }
        rendered.notes = self._notes(retriever, result, known)
        if bits is not None:
            for entry in rendered.payload["results"]:
                entry["hamming"] = hamming_from_score(entry["score"], bits)
            rendered.payload["query_code"] = "".join("1" if value > 0 else "0" for value in explanation.code)
            rendered.notes.insert(0, ("code_bits", {"bits": bits, "code": rendered.payload["query_code"]}))
        return rendered

    def explain(self, image_path: str | Path, method_id: str, backbone_id: str) -> QueryViews:
        """Explain one image without a gallery: weighting maps, box and saliency."""
        image = load_image(image_path)
        backbone = self.backbone(backbone_id)
        method = self.create_method(method_id)
        explanation = explain_image(method, backbone, image)
        box = None
        if explanation.box is not None:
            box = explanation.box * np.array([image.width, image.height, image.width, image.height], dtype=np.float32)
        rendered = self._render_query(image, explanation, box, self.known_query(image_path))
        rendered.payload = {"method": method_id, "backbone": backbone_id, "query_box": _rounded(box), "results": []}
        if backbone.is_random:
            rendered.notes.append(("random_weights", {}))
        return rendered

    def compare(
        self,
        image_path: str | Path,
        method_ids: list[str],
        backbone_id: str,
        top_k: int = COMPARE_TOP_K,
        progress: ProgressCallback | None = None,
    ) -> list[MethodComparison]:
        """Run one query through several methods; a method that fails reports its error alone."""
        image = load_image(image_path)
        known = self.known_query(image_path)
        comparisons = []
        for method_id in method_ids:
            try:
                retriever = self.prepare(method_id, backbone_id, progress)
                result = retriever.search(image, top_k, known.label if known else None)
            except FgirError as error:
                logger.warning("Comparison of %s on %s failed: %s", method_id, image_path, error)
                comparisons.append(MethodComparison(method_id, [], None, error))
                continue
            precision = None
            if known is not None and result.matches:
                precision = sum(1 for match in result.matches if match.correct) / len(result.matches)
            comparisons.append(MethodComparison(method_id, [self._render_match(match) for match in result.matches], precision))
        return comparisons

    def walkthrough(self, image_path: str | Path, backbone_id: str) -> list[Step]:
        """Compute the wmtl steps for one image; nearest neighbours are included when a gallery is loaded."""
        image = load_image(image_path)
        retriever = self.prepare("wmtl", backbone_id) if self.gallery is not None else None
        backbone = retriever.backbone if retriever is not None else self.backbone(backbone_id)
        return build_walkthrough(backbone, image, retriever)

    def explain_match(self, query_path: str | Path, result_path: str | Path, method_id: str, backbone_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Overlay the saliency of a query and one of its results for their similarity.

        ``result_path`` must be an image of the current gallery, because it comes from the browser.
        """
        if self.gallery is None:
            raise GalleryError(msg("retrieval.no_gallery_to_explain"))
        resolved = Path(result_path).resolve()
        allowed = {self.gallery.path_of(item).resolve() for item in self.gallery.items}
        if resolved not in allowed:
            raise GalleryError(msg("retrieval.not_a_gallery_image", path=result_path))
        query, result = load_image(query_path), load_image(resolved)
        query_map, result_map = explain_match(self.create_method(method_id), self.backbone(backbone_id), query, result)
        return (
            views.thumbnail(views.overlay_heatmap(views.to_array(query), query_map)),
            views.thumbnail(views.overlay_heatmap(views.to_array(result), result_map)),
        )

    def _render_query(self, image, explanation: Explanation, box: np.ndarray | None, known: GalleryItem | None) -> QueryViews:
        pixels = views.to_array(image)
        drawn = views.with_boxes(pixels, box, known.gt_box if known else None)
        if explanation.regions is not None:
            drawn = views.draw_regions(drawn, explanation.regions)
        return QueryViews(
            query=views.thumbnail(drawn, views.THUMBNAIL_SIDE * 2),
            spatial=views.thumbnail(views.overlay_heatmap(pixels, views.scale_to_unit(explanation.spatial_weights))),
            channel_plot=views.channel_weights_plot(explanation.channel_weights),
            saliency=views.thumbnail(views.overlay_heatmap(pixels, explanation.saliency)),
        )

    def _render_match(self, match, bits: int | None = None) -> tuple[np.ndarray, str]:
        pixels = views.to_array(load_image(match.path))
        drawn = views.with_boxes(pixels, match.box, match.item.gt_box)
        caption = views.result_caption(match.rank, match.score, match.item.class_name, match.correct)
        if bits is not None:
            caption += f" · d_H = {hamming_from_score(match.score, bits)}"
        return views.thumbnail(drawn), caption

    def _notes(self, retriever: Retriever, result: QueryResult, known: GalleryItem | None) -> list[tuple[str, dict]]:
        notes: list[tuple[str, dict]] = []
        if retriever.backbone.is_random:
            notes.append(("random_weights", {}))
        if known is not None and result.matches:
            hits = sum(1 for match in result.matches if match.correct)
            notes.append(("query_class_hits", {"class_name": known.class_name, "hits": hits, "total": len(result.matches)}))
        if not retriever.method.localizes:
            notes.append(("no_localize", {"method_id": retriever.method.id}))
        failed = retriever.embeddings.failed
        if failed:
            notes.append(("skipped_images", {"count": len(failed), "example": failed[0][0]}))
        describe_s = sum(seconds for stage, seconds in result.timings.items() if stage.startswith("describe"))
        notes.append(("timing", {"describe_ms": describe_s * 1000, "search_ms": result.timings.get("search", 0.0) * 1000}))
        return notes


def hamming_from_score(score: float, bits: int) -> int:
    """Invert the binary index's score 1 - 2 * hamming / K into the Hamming distance."""
    return int(round((1.0 - score) * bits / 2.0))


def _rounded(box: np.ndarray | None) -> list[float] | None:
    return None if box is None else [round(float(value), 2) for value in box]
