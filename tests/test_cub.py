"""CUB-200-2011 integration: wmtl on mobilenet_v2, classes 1-3, train split as gallery, test queries.

Needs FGIR_CUB_ROOT (see conftest.py). The gallery has 90 images and the queries are the first 10
test images of each class. Measured there: P@1 0.80 against a chance level of about 0.33, and a mean
query-box IoU of 0.55 against 0.40 for a box covering the whole image. The mean gallery-box IoU is 0.57.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from fgir.cache import GalleryCache
from fgir.gallery import open_gallery
from fgir.imageio import load_image
from fgir.localization import box_iou
from fgir.methods import create_method
from fgir.pipeline import Retriever

pytestmark = pytest.mark.cub

CLASSES = "1-3"
QUERIES_PER_CLASS = 10


@dataclass
class Evaluation:
    hits: list[bool]  # top-1 result has the query's class
    chance: float  # share of the gallery in the query's class, averaged over queries
    query_ious: list[float]  # predicted query box against its ground-truth box
    whole_image_ious: list[float]  # a box covering the whole query image against the same box
    gallery_ious: list[float]  # predicted gallery boxes against their ground-truth boxes


@pytest.fixture(scope="module")
def evaluation(cub_root: Path, mobilenet, tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    gallery = open_gallery(cub_root, split="train", classes=CLASSES)
    test_split = open_gallery(cub_root, split="test", classes=CLASSES)
    retriever = Retriever(gallery, create_method("wmtl"), mobilenet, GalleryCache(tmp_path_factory.mktemp("cub_cache")))
    embeddings = retriever.prepare()

    queries = []
    for label in sorted({item.label for item in test_split.items}):
        queries += [item for item in test_split.items if item.label == label][:QUERIES_PER_CLASS]

    result = Evaluation([], 0.0, [], [], [])
    labels = np.array([item.label for item in gallery.items])
    for query in queries:
        image = load_image(test_split.path_of(query))
        found = retriever.search(image, top_k=1, query_label=query.label)
        ground_truth = np.array(query.gt_box)
        result.hits.append(bool(found.matches[0].correct))
        result.chance += float(np.mean(labels == query.label)) / len(queries)
        result.query_ious.append(box_iou(found.query_box, ground_truth) if found.query_box is not None else 0.0)
        result.whole_image_ious.append(box_iou(np.array([0, 0, image.width, image.height]), ground_truth))

    for box, index in zip(embeddings.boxes, embeddings.item_indices):
        item = gallery.items[int(index)]
        result.gallery_ious.append(box_iou(box, np.array(item.gt_box)) if not np.isnan(box).any() else 0.0)
    return result


def test_cub_split_sizes(cub_root: Path) -> None:
    # Counted straight from the flags in train_test_split.txt: 3,000 and 2,864 for classes 1-100.
    flags = [line.split()[1] for line in (cub_root / "train_test_split.txt").read_text().splitlines() if line.strip()]

    assert len(open_gallery(cub_root, split="train").items) == flags.count("1")
    assert len(open_gallery(cub_root, split="test").items) == flags.count("0")


def test_cub_official_box_clipped(cub_root: Path) -> None:
    # Image 960 is 177 x 131 pixels with the official box "27 6 148 127", which ends at y = 133.
    gallery = open_gallery(cub_root, split="train", classes="18")
    item = next(item for item in gallery.items if item.relpath.endswith("Spotted_Catbird_0041_796807.jpg"))

    assert item.gt_box == (27.0, 6.0, 175.0, 131.0)


def test_cub_gallery_fully_indexed(evaluation: Evaluation) -> None:
    assert len(evaluation.gallery_ious) == 90


def test_cub_precision_at_one(evaluation: Evaluation) -> None:
    precision = float(np.mean(evaluation.hits))

    assert len(evaluation.hits) == 3 * QUERIES_PER_CLASS
    assert precision >= 0.6, f"P@1 {precision:.2f}, chance {evaluation.chance:.2f}"


def test_cub_query_box_iou(evaluation: Evaluation) -> None:
    mean_iou = float(np.mean(evaluation.query_ious))
    whole_image = float(np.mean(evaluation.whole_image_ious))

    assert mean_iou >= 0.45, f"mean IoU {mean_iou:.2f}"
    assert mean_iou >= whole_image + 0.08, f"mean IoU {mean_iou:.2f}, whole-image box {whole_image:.2f}"


def test_cub_gallery_box_iou(evaluation: Evaluation) -> None:
    mean_iou = float(np.mean(evaluation.gallery_ious))

    assert mean_iou >= 0.45, f"mean IoU {mean_iou:.2f}"
