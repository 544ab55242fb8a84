"""Ranking and localization metrics against rankings worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fgir.evaluation.metrics import (
    average_precision,
    average_precision_at_k,
    box_ious,
    interpolated_precision_recall,
    localization_metrics,
    mean_precision_up_to_k,
    precision_at_k,
    ranked_relevance,
    recall_at_k,
    retrieval_metrics,
    stable_ranking,
)
from fgir.index import stable_rank

# Query A: relevant at ranks 1 and 3. Query B: relevant at ranks 2 and 5. Query C: no relevant item.
RELEVANCE = np.array(
    [
        [1, 0, 1, 0, 0],
        [0, 1, 0, 0, 1],
        [0, 0, 0, 0, 0],
    ],
    dtype=bool,
)


def test_average_precision_hand_computed() -> None:
    ap = average_precision(RELEVANCE)
    assert ap[0] == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert ap[1] == pytest.approx((1 / 2 + 2 / 5) / 2)
    assert math.isnan(ap[2])


def test_precision_at_k() -> None:
    np.testing.assert_allclose(precision_at_k(RELEVANCE, 1), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(precision_at_k(RELEVANCE, 5), [0.4, 0.4, 0.0])


def test_precision_at_k_beyond_gallery() -> None:
    # k = 10 on a 5-image gallery is cut to 5.
    np.testing.assert_allclose(precision_at_k(RELEVANCE, 10), [0.4, 0.4, 0.0])


def test_recall_at_k_any_hit() -> None:
    np.testing.assert_allclose(recall_at_k(RELEVANCE, 1), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(recall_at_k(RELEVANCE, 2), [1.0, 1.0, 0.0])


def test_scda_top_k_map_mean_of_precisions() -> None:
    # A: P@1..P@5 = 1, 1/2, 2/3, 2/4, 2/5; B: 0, 1/2, 1/3, 1/4, 2/5.
    top5 = mean_precision_up_to_k(RELEVANCE, 5)
    assert top5[0] == pytest.approx((1 + 1 / 2 + 2 / 3 + 2 / 4 + 2 / 5) / 5)
    assert top5[1] == pytest.approx((0 + 1 / 2 + 1 / 3 + 1 / 4 + 2 / 5) / 5)
    np.testing.assert_allclose(mean_precision_up_to_k(RELEVANCE, 1), precision_at_k(RELEVANCE, 1))


def test_hashing_map_at_k_normalized_by_found() -> None:
    assert average_precision_at_k(RELEVANCE, 1).tolist() == [1.0, 0.0, 0.0]
    at2 = average_precision_at_k(RELEVANCE, 2)
    assert at2[0] == pytest.approx(1.0)
    assert at2[1] == pytest.approx(1 / 2)  # one hit at rank 2: (1/2) / 1
    at5 = average_precision_at_k(RELEVANCE, 5)
    assert at5[0] == pytest.approx((1 + 2 / 3) / 2)
    assert at5[1] == pytest.approx((1 / 2 + 2 / 5) / 2)


def test_map_at_k_and_top_k_map_differ() -> None:
    # The two "top-5 mAP" numbers disagree on the same ranking: 0.613 vs 0.833 for query A.
    assert mean_precision_up_to_k(RELEVANCE[:1], 5)[0] != pytest.approx(average_precision_at_k(RELEVANCE[:1], 5)[0])


def test_retrieval_metrics_exclude_no_relevant() -> None:
    metrics = retrieval_metrics(RELEVANCE)
    assert metrics["n_query"] == 2
    assert metrics["n_query_no_relevant"] == 1
    assert metrics["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + (1 / 2 + 2 / 5) / 2) / 2)
    assert metrics["P@1"] == pytest.approx(0.5)
    assert metrics["R@5"] == pytest.approx(1.0)
    assert metrics["top1_mAP"] == pytest.approx(metrics["P@1"])
    assert metrics["mAP@1"] == pytest.approx(metrics["P@1"])


def test_retrieval_metrics_stable_keys() -> None:
    expected = {
        "mAP", "top1_mAP", "top5_mAP", "mAP@1", "mAP@5", "mAP@10",
        "P@1", "P@5", "P@10", "R@1", "R@5", "R@10", "n_query", "n_query_no_relevant",
    }  # fmt: skip
    assert set(retrieval_metrics(RELEVANCE)) == expected


def test_retrieval_metrics_all_without_relevant() -> None:
    metrics = retrieval_metrics(np.zeros((2, 3), dtype=bool))
    assert math.isnan(metrics["mAP"])
    assert metrics["n_query"] == 0
    assert metrics["n_query_no_relevant"] == 2


def test_ranking_breaks_ties_by_gallery_order() -> None:
    similarity = np.array([[0.5, 0.9, 0.5, 0.9]])
    assert stable_ranking(similarity).tolist() == [[1, 3, 0, 2]]
    _, ids = stable_rank(similarity, np.arange(4)[None])
    assert ids.tolist() == stable_ranking(similarity).tolist()


def test_ranked_relevance_with_ties() -> None:
    similarity = np.array([[0.5, 0.9, 0.5, 0.9]])
    relevance = ranked_relevance(similarity, np.array([1]), np.array([1, 2, 2, 1]))
    assert relevance.tolist() == [[False, True, True, False]]
    assert average_precision(relevance)[0] == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_tied_scores_rank_earlier_gallery_first() -> None:
    # All scores equal: the ranking is the gallery order, so the relevant item at position 2 is rank 3.
    relevance = ranked_relevance(np.zeros((1, 4)), np.array([7]), np.array([1, 2, 7, 3]))
    assert relevance.tolist() == [[False, False, True, False]]


def test_interpolated_precision_recall_hand_computed() -> None:
    # Query A: precision by rank 1, 1/2, 2/3, 1/2, 2/5; recall 1/2, 1/2, 1, 1, 1.
    curve = interpolated_precision_recall(RELEVANCE[:1])
    np.testing.assert_allclose(curve[:6], np.ones(6))
    np.testing.assert_allclose(curve[6:], np.full(5, 2 / 3))


def test_interpolated_precision_recall_rejects_empty_rows() -> None:
    with pytest.raises(ValueError, match="at least one relevant"):
        interpolated_precision_recall(RELEVANCE)


def test_metrics_reject_bad_k() -> None:
    with pytest.raises(ValueError, match="k=0"):
        precision_at_k(RELEVANCE, 0)


def test_box_ious_hand_computed() -> None:
    predicted = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [np.nan] * 4], dtype=float)
    truth = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [0, 0, 10, 10]], dtype=float)
    np.testing.assert_allclose(box_ious(predicted, truth), [1.0, 50 / 150, 0.0])


def test_localization_metrics_skip_missing_truth() -> None:
    predicted = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [np.nan] * 4, [0, 0, 1, 1]], dtype=float)
    truth = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [0, 0, 10, 10], [np.nan] * 4], dtype=float)
    metrics = localization_metrics(predicted, truth)
    assert metrics["n_loc"] == 3
    assert metrics["loc_acc"] == pytest.approx(1 / 3)
    assert metrics["mean_IoU"] == pytest.approx((1 + 1 / 3 + 0) / 3)


def test_localization_metrics_without_truth() -> None:
    metrics = localization_metrics(np.zeros((2, 4)), np.full((2, 4), np.nan))
    assert metrics["n_loc"] == 0
    assert math.isnan(metrics["loc_acc"])
