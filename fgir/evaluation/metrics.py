"""Retrieval and localization metrics; every function is pure numpy.

Ranking metrics take ``relevance``: a bool [Q, N] matrix whose row q marks, in ranked order,
which gallery items share query q's class. Rows must hold the full ranking of the gallery, so
that a row's sum is the number of relevant gallery items. Two different "top-k mAP" numbers
circulate in fine-grained retrieval and are kept apart here:

- ``mean_precision_up_to_k`` (reported as ``top{k}_mAP``): SCDA's "top-k mAP" (Wei et al., IEEE
  TIP 2017), the mean of P@1 … P@k. top-1 mAP equals P@1, and top-5 usually falls below top-1.
- ``average_precision_at_k`` (reported as ``mAP@k``): average precision inside the top k,
  divided by the number of relevant items found there, as the fine-grained hashing papers'
  evaluation code computes it. A query with none in its top k scores 0. mAP@1 equals P@1, and
  mAP@k usually rises with k.

Queries without any relevant gallery item have no defined average precision (as in TREC); every
function here returns NaN for them where AP is involved, and :func:`retrieval_metrics` leaves them
out of every mean and counts them.
"""

from __future__ import annotations

import numpy as np

from fgir.localization import box_iou

# CUB's and PASCAL VOC's criterion of a correct localization.
IOU_THRESHOLD = 0.5
DEFAULT_KS = (1, 5, 10)
# Recall levels of the classic 11-point interpolated precision-recall curve.
RECALL_LEVELS = np.linspace(0.0, 1.0, 11)


def stable_ranking(similarity: np.ndarray) -> np.ndarray:
    """Sort gallery positions by descending similarity per query, ties by ascending position: [Q, N] -> [Q, N].

    Equivalent to :func:`fgir.index.stable_rank` with positions as ids.
    """
    return np.argsort(-similarity, axis=1, kind="stable")


def ranked_relevance(similarity: np.ndarray, query_labels: np.ndarray, gallery_labels: np.ndarray) -> np.ndarray:
    """Rank the gallery for every query and mark same-class results: bool [Q, N]."""
    order = stable_ranking(similarity)
    return gallery_labels[order] == query_labels[:, None]


def _check_relevance(relevance: np.ndarray) -> np.ndarray:
    if relevance.ndim != 2:
        raise ValueError(f"relevance must be a [queries, gallery] matrix, got shape {relevance.shape}")
    return relevance.astype(bool, copy=False)


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"Invalid cutoff k={k}; use k >= 1")


def _precision_at_each_rank(relevance: np.ndarray) -> np.ndarray:
    """P@r for r = 1..N: [Q, N] float64."""
    ranks = np.arange(1, relevance.shape[1] + 1, dtype=np.float64)
    return np.cumsum(relevance, axis=1, dtype=np.float64) / ranks


def has_relevant(relevance: np.ndarray) -> np.ndarray:
    """Mark the queries with at least one relevant gallery item: bool [Q]."""
    return _check_relevance(relevance).any(axis=1)


def average_precision(relevance: np.ndarray) -> np.ndarray:
    """Average precision over the whole ranking, (1/R) Σ_{r relevant} P@r: [Q]; NaN where R = 0."""
    relevance = _check_relevance(relevance)
    total_relevant = relevance.sum(axis=1)
    summed = (_precision_at_each_rank(relevance) * relevance).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total_relevant > 0, summed / total_relevant, np.nan)


def precision_at_k(relevance: np.ndarray, k: int) -> np.ndarray:
    """Share of relevant items among the top k: [Q]. A k beyond the gallery size is cut to the gallery size."""
    relevance = _check_relevance(relevance)
    _check_k(k)
    cutoff = min(k, relevance.shape[1])
    if cutoff == 0:
        return np.zeros(relevance.shape[0])
    return relevance[:, :cutoff].sum(axis=1) / cutoff


def recall_at_k(relevance: np.ndarray, k: int) -> np.ndarray:
    """Metric-learning Recall@k: 1.0 where the top k hold at least one relevant item, else 0.0: [Q]."""
    relevance = _check_relevance(relevance)
    _check_k(k)
    return relevance[:, :k].any(axis=1).astype(np.float64)


def mean_precision_up_to_k(relevance: np.ndarray, k: int) -> np.ndarray:
    """SCDA's top-k mAP of each query: the mean of P@1 … P@k, [Q]. A k beyond the gallery size is cut."""
    relevance = _check_relevance(relevance)
    _check_k(k)
    cutoff = min(k, relevance.shape[1])
    if cutoff == 0:
        return np.zeros(relevance.shape[0])
    return _precision_at_each_rank(relevance[:, :cutoff]).mean(axis=1)


def average_precision_at_k(relevance: np.ndarray, k: int) -> np.ndarray:
    """Hashing-code AP@k: Σ_{r ≤ k, relevant} P@r divided by the relevant items in the top k, [Q].

    A query with no relevant item in its top k scores 0.
    """
    relevance = _check_relevance(relevance)
    _check_k(k)
    top = relevance[:, :k]
    found = top.sum(axis=1)
    summed = (_precision_at_each_rank(top) * top).sum(axis=1)
    return np.where(found > 0, summed / np.maximum(found, 1), 0.0)


def interpolated_precision_recall(relevance: np.ndarray, recall_levels: np.ndarray = RECALL_LEVELS) -> np.ndarray:
    """Mean interpolated precision at each recall level, averaged over queries: [L].

    Interpolated precision at level ρ is the maximum P@r over the ranks r whose recall is >= ρ
    (0 where recall never reaches ρ). Queries without relevant items must be removed first.
    """
    relevance = _check_relevance(relevance)
    if relevance.shape[0] == 0:
        return np.full(len(recall_levels), np.nan)
    total_relevant = relevance.sum(axis=1, keepdims=True)
    if (total_relevant == 0).any():
        raise ValueError("interpolated_precision_recall needs queries with at least one relevant item")
    precision = _precision_at_each_rank(relevance)
    recall = np.cumsum(relevance, axis=1) / total_relevant
    # The maximum precision from rank r to the end, so that looking it up at the first rank reaching a level suffices.
    best_from_rank = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    curve = np.zeros((relevance.shape[0], len(recall_levels)))
    for column, level in enumerate(recall_levels):
        reached = recall >= level - 1e-12
        first = reached.argmax(axis=1)
        any_reached = reached.any(axis=1)
        curve[:, column] = np.where(any_reached, best_from_rank[np.arange(len(first)), first], 0.0)
    return curve.mean(axis=0)


def retrieval_metrics(relevance: np.ndarray, ks: tuple[int, ...] = DEFAULT_KS) -> dict[str, float | int]:
    """Compute every ranking metric of the evaluate report as means over queries with a relevant item.

    Keys: ``mAP``; ``top1_mAP`` and ``top5_mAP`` (SCDA form); ``mAP@k``, ``P@k`` and ``R@k`` for
    each k in ``ks``; ``n_query`` (queries averaged over) and ``n_query_no_relevant`` (left out).
    Every metric is NaN when no query has a relevant item.
    """
    relevance = _check_relevance(relevance)
    usable = has_relevant(relevance)
    kept = relevance[usable]

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else float("nan")

    metrics: dict[str, float | int] = {"mAP": mean(average_precision(kept))}
    for k in (1, 5):
        metrics[f"top{k}_mAP"] = mean(mean_precision_up_to_k(kept, k))
    for k in ks:
        metrics[f"mAP@{k}"] = mean(average_precision_at_k(kept, k))
    for k in ks:
        metrics[f"P@{k}"] = mean(precision_at_k(kept, k))
    for k in ks:
        metrics[f"R@{k}"] = mean(recall_at_k(kept, k))
    metrics["n_query"] = int(usable.sum())
    metrics["n_query_no_relevant"] = int((~usable).sum())
    return metrics


def box_ious(predicted: np.ndarray, ground_truth: np.ndarray) -> np.ndarray:
    """IoU of each predicted [x0, y0, x1, y1] box with its ground truth: [n, 4], [n, 4] -> [n].

    A predicted row with NaN (the method selected nothing) has IoU 0.
    """
    if predicted.shape != ground_truth.shape or predicted.ndim != 2 or predicted.shape[1] != 4:
        raise ValueError(f"Boxes must be two [n, 4] arrays, got {predicted.shape} and {ground_truth.shape}")
    return np.array(
        [0.0 if np.isnan(box).any() else box_iou(box, truth) for box, truth in zip(predicted, ground_truth)],
        dtype=np.float64,
    )


def localization_metrics(predicted: np.ndarray, ground_truth: np.ndarray, threshold: float = IOU_THRESHOLD) -> dict[str, float | int]:
    """Compute ``loc_acc`` (share of IoU >= threshold), ``mean_IoU`` and ``n_loc`` over images with a ground-truth box.

    Rows of ``ground_truth`` with NaN (no ground-truth box) are left out; NaN predictions count as IoU 0.
    """
    known = ~np.isnan(ground_truth).any(axis=1)
    ious = box_ious(predicted[known], ground_truth[known])
    if len(ious) == 0:
        return {"loc_acc": float("nan"), "mean_IoU": float("nan"), "n_loc": 0}
    return {"loc_acc": float((ious >= threshold).mean()), "mean_IoU": float(ious.mean()), "n_loc": int(len(ious))}
