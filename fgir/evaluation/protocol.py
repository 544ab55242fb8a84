"""Evaluation protocols: which images are queries, which form the gallery, and the scoring run.

- ``cub-official``: queries are CUB-200-2011's test split and the gallery is its train split,
  optionally restricted to a class range. A query is never in the gallery.
- ``folder-holdout``: a folder of class subfolders. From each class a fixed fraction of the
  images, drawn with a seeded generator, is held out as queries, and the rest is the gallery.

Both sides go through the gallery cache (``fgir.cache``), so a repeated run only scores. Ranking
is exhaustive and stable: cosine similarity against every gallery image, ties broken by gallery
order. Queries whose class has no gallery image are left out of every ranking metric and counted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fgir.backbones import Backbone
from fgir.cache import GalleryCache, GalleryEmbeddings
from fgir.errors import FgirError, GalleryError, msg
from fgir.evaluation.metrics import (
    RECALL_LEVELS,
    has_relevant,
    interpolated_precision_recall,
    localization_metrics,
    ranked_relevance,
    retrieval_metrics,
)
from fgir.evaluation.whitening import (
    apply_whitening,
    fit_whitening,
    load_whitening,
    max_whitening_dim,
    save_whitening,
)
from fgir.gallery import Gallery, is_cub_root, open_gallery
from fgir.indexing import DEFAULT_BATCH_SIZE
from fgir.methods import RetrievalMethod
from fgir.pipeline import Retriever

logger = logging.getLogger(__name__)

PROTOCOL_CUB = "cub-official"
PROTOCOL_FOLDER = "folder-holdout"
DEFAULT_QUERY_FRACTION = 0.3
DEFAULT_SEED = 0
# Decimals kept for metrics in reports; enough to compare runs, short enough to read.
REPORT_DECIMALS = 6

StageProgress = Callable[[str, int, int], None]  # (stage label, images done, images total)
STAGE_GALLERY = "gallery"
STAGE_QUERIES = "queries"


class EvaluationError(FgirError):
    """An evaluation cannot run on the given split, options or data."""


@dataclass
class EvaluationSplit:
    """Queries and gallery of one protocol, with a one-line description for reports."""

    protocol: str
    description: str
    queries: Gallery
    gallery: Gallery
    # Images of the root left out for inconsistent metadata, one message each.
    excluded: list[str] = field(default_factory=list)


def cub_official_split(root: str | Path, classes: str | tuple[int, int] | None = None) -> EvaluationSplit:
    """Open CUB-200-2011's official protocol: queries = test split, gallery = train split."""
    path = Path(root).expanduser()
    if not is_cub_root(path):
        raise GalleryError(msg("evaluation.not_cub_root", path=path))
    queries = open_gallery(path, "test", classes)
    gallery = open_gallery(path, "train", classes)
    # Each open reads the full metadata, so both report the same inconsistent images.
    excluded = list(dict.fromkeys(queries.excluded + gallery.excluded))
    if excluded:
        logger.warning(
            "Evaluating without %d images of %s whose metadata is inconsistent, e.g. %s",
            len(excluded), path, "; ".join(excluded[:3]),
        )  # fmt: skip
    span = f"classes {queries.classes[0]}-{queries.classes[1]}" if queries.classes else "all classes"
    description = f"CUB-200-2011 official split, {span}: queries = test split, gallery = train split"
    return EvaluationSplit(PROTOCOL_CUB, description, queries, gallery, excluded)


def validate_holdout_options(query_fraction: float, seed: int) -> None:
    """Reject a query fraction outside (0, 1) or a negative seed."""
    if not 0.0 < query_fraction < 1.0:
        raise EvaluationError(msg("evaluation.invalid_query_fraction", fraction=query_fraction))
    if seed < 0:
        raise EvaluationError(msg("evaluation.invalid_seed", seed=seed))


def holdout_query_mask(labels: np.ndarray, query_fraction: float, seed: int) -> np.ndarray:
    """Choose the held-out queries of a labelled image list: bool [N], True for a query.

    Each class with n >= 2 images gives round(query_fraction · n) queries, at least 1 and at most
    n - 1, so every query has a relevant gallery image. A class with one image stays in the gallery.
    The draw of class c uses the generator seeded with (seed, c), so a class's split depends only
    on its own image order, the fraction and the seed.
    """
    validate_holdout_options(query_fraction, seed)
    labels = np.asarray(labels)
    is_query = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        positions = np.flatnonzero(labels == label)
        count = len(positions)
        if count < 2:
            continue
        query_count = min(max(int(round(query_fraction * count)), 1), count - 1)
        generator = np.random.default_rng([seed, int(label)])
        is_query[positions[generator.permutation(count)[:query_count]]] = True
    return is_query


def folder_holdout_split(
    root: str | Path,
    classes: str | tuple[int, int] | None = None,
    query_fraction: float = DEFAULT_QUERY_FRACTION,
    seed: int = DEFAULT_SEED,
) -> EvaluationSplit:
    """Split a folder of class subfolders into held-out queries and a gallery (see :func:`holdout_query_mask`)."""
    validate_holdout_options(query_fraction, seed)
    path = Path(root).expanduser()
    if is_cub_root(path):
        raise EvaluationError(msg("evaluation.holdout_on_cub_root", path=path))
    images = open_gallery(path, "all", classes)
    labels = np.array([item.label for item in images.items])
    is_query = holdout_query_mask(labels, query_fraction, seed)
    if not is_query.any():
        raise EvaluationError(msg("evaluation.no_holdout_queries", path=path))
    singletons = len(np.unique(labels)) - len(np.unique(labels[is_query]))
    if singletons:
        logger.warning("%d classes in %s have a single image; they only serve as gallery distractors", singletons, path)

    tag = f"fraction={query_fraction},seed={seed}"
    queries = [item for item, chosen in zip(images.items, is_query) if chosen]
    gallery = [item for item, chosen in zip(images.items, is_query) if not chosen]
    # replace() keeps every other setting of the opened folder, such as its fingerprint mode.
    query_gallery = replace(images, items=queries, split=f"holdout-query:{tag}")
    rest = replace(images, items=gallery, split=f"holdout-gallery:{tag}")
    description = f"folder {path}: {query_fraction:g} of each class held out as queries (seed {seed}), the rest is the gallery"
    return EvaluationSplit(PROTOCOL_FOLDER, description, query_gallery, rest)


@dataclass
class EvaluationReport:
    """Metrics of one method on one split, with the run's settings and the precision-recall curve."""

    values: dict[str, Any]
    recall_levels: np.ndarray
    precision: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; NaN (undefined) becomes None."""
        payload = {key: _json_value(value) for key, value in self.values.items()}
        payload["pr_curve"] = {
            "recall": [round(float(level), 3) for level in self.recall_levels],
            "precision": [_json_value(float(value)) for value in self.precision],
        }
        return payload


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return None if np.isnan(value) else round(value, REPORT_DECIMALS)
    return value


def _labels_of(gallery: Gallery, embeddings: GalleryEmbeddings) -> np.ndarray:
    return np.array([gallery.items[int(index)].label for index in embeddings.item_indices], dtype=np.int64)


def _ground_truth_boxes(gallery: Gallery, embeddings: GalleryEmbeddings) -> np.ndarray:
    boxes = np.full((len(embeddings.item_indices), 4), np.nan, dtype=np.float64)
    for row, index in enumerate(embeddings.item_indices):
        box = gallery.items[int(index)].gt_box
        if box is not None:
            boxes[row] = box
    return boxes


def _whitened(
    retriever: Retriever, gallery_descriptors: np.ndarray, query_descriptors: np.ndarray, whiten_dim: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Whiten both sides with the projection stored beside the gallery's cache entry, fitting it when missing."""
    count, width = gallery_descriptors.shape
    limit = max_whitening_dim(count, width)
    dim = limit if whiten_dim is None else whiten_dim
    if not 1 <= dim <= limit:
        raise EvaluationError(
            msg("evaluation.invalid_whiten_dim", dim=whiten_dim, count=count, width=width, limit=limit)
        )
    folder = retriever.cache.entry_dir(retriever.key)
    whitening = load_whitening(folder, dim, width)
    if whitening is None:
        logger.info("Fitting %d-d PCA-whitening on %d gallery descriptors", dim, count)
        whitening = fit_whitening(gallery_descriptors, dim)
        save_whitening(folder, whitening)
    else:
        logger.info("Loaded %d-d PCA-whitening from %s", dim, folder)
    return apply_whitening(whitening, gallery_descriptors), apply_whitening(whitening, query_descriptors), dim


def evaluate(
    split: EvaluationSplit,
    method: RetrievalMethod,
    backbone: Backbone,
    cache: GalleryCache,
    batch_size: int = DEFAULT_BATCH_SIZE,
    whiten: bool = False,
    whiten_dim: int | None = None,
    progress: StageProgress | None = None,
) -> EvaluationReport:
    """Describe (or load from the cache) both sides of ``split``, rank the gallery for every query and score it."""
    started = time.perf_counter()
    gallery_retriever = Retriever(split.gallery, method, backbone, cache)
    query_retriever = Retriever(split.queries, method, backbone, cache)
    gallery_embeddings = gallery_retriever.prepare(
        progress=(lambda done, total: progress(STAGE_GALLERY, done, total)) if progress else None, batch_size=batch_size
    )
    query_embeddings = query_retriever.prepare(
        progress=(lambda done, total: progress(STAGE_QUERIES, done, total)) if progress else None, batch_size=batch_size
    )
    described = time.perf_counter()
    if len(gallery_embeddings.descriptors) == 0:
        raise EvaluationError(msg("evaluation.no_readable_gallery_image", folder=split.gallery.image_root))
    if len(query_embeddings.descriptors) == 0:
        raise EvaluationError(msg("evaluation.no_readable_query_image", folder=split.queries.image_root))

    gallery_descriptors = gallery_embeddings.descriptors
    query_descriptors = query_embeddings.descriptors
    whitening_dim = None
    if whiten:
        gallery_descriptors, query_descriptors, whitening_dim = _whitened(
            gallery_retriever, gallery_descriptors, query_descriptors, whiten_dim
        )

    # float64 keeps the similarities, and so the tie order, independent of the BLAS build.
    similarity = query_descriptors.astype(np.float64) @ gallery_descriptors.astype(np.float64).T
    relevance = ranked_relevance(
        similarity, _labels_of(split.queries, query_embeddings), _labels_of(split.gallery, gallery_embeddings)
    )
    metrics = retrieval_metrics(relevance)
    if metrics["n_query_no_relevant"]:
        logger.warning(
            "%d queries have no gallery image of their class; they are left out of every ranking metric",
            metrics["n_query_no_relevant"],
        )
    precision = interpolated_precision_recall(relevance[has_relevant(relevance)])

    localization: dict[str, Any] = {"loc_acc": None, "mean_IoU": None, "n_loc": 0}
    if method.localizes:
        localization = localization_metrics(
            query_embeddings.boxes.astype(np.float64), _ground_truth_boxes(split.queries, query_embeddings)
        )
    finished = time.perf_counter()

    values: dict[str, Any] = {
        "method": method.id,
        "method_cache_id": method.cache_id,
        "backbone": backbone.id,
        "weights": backbone.weights_id,
        "random_weights": backbone.is_random,
        "input_size": backbone.spec.input_size,
        "protocol": split.protocol,
        "protocol_description": split.description,
        "whitening_dim": whitening_dim,
        "descriptor_dim": int(query_descriptors.shape[1]),
        **{key: value for key, value in metrics.items() if key not in ("n_query", "n_query_no_relevant")},
        **localization,
        "n_query": metrics["n_query"],
        "n_query_no_relevant": metrics["n_query_no_relevant"],
        "n_query_unreadable": len(query_embeddings.failed),
        "n_gallery": int(len(gallery_descriptors)),
        "n_gallery_unreadable": len(gallery_embeddings.failed),
        "n_excluded_metadata": len(split.excluded),
        "describe_time_s": round(described - started, 3),
        "score_time_s": round(finished - described, 3),
        "wall_time_s": round(finished - started, 3),
    }
    return EvaluationReport(values, RECALL_LEVELS.copy(), precision)
