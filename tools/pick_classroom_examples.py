"""Pick curated teaching queries for classroom mode from measured per-query precision.

Run from the repository root after `python -m fgir compare` has cached gap and wmtl:
    python tools/pick_classroom_examples.py --cub-root ../shared/data/CUB_200_2011 > assets/classroom_examples.json

Kinds, by precision@5 of the test-split query against the train-split gallery:
- easy: both gap and wmtl get 5 of 5 right;
- hard: both get none right;
- misleading background: gap gets at most 1 right and wmtl at least 4, so selecting the object
  (wmtl's box) fixes what the background misled plain pooling into.
Only the official relative paths of the images are written; no image data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fgir.backbones import load_backbone  # noqa: E402
from fgir.cache import GalleryCache  # noqa: E402
from fgir.gallery import open_gallery  # noqa: E402
from fgir.index import stable_rank  # noqa: E402
from fgir.methods import create_method  # noqa: E402
from fgir.pipeline import Retriever  # noqa: E402

TOP_K = 5
PER_KIND = 2


def precision_at_k(method_id: str, root: Path, classes: str, cache: GalleryCache) -> tuple[np.ndarray, list]:
    backbone = load_backbone("mobilenet_v2")
    sides = {}
    for split in ("train", "test"):
        gallery = open_gallery(root, split, classes)
        retriever = Retriever(gallery, create_method(method_id), backbone, cache)
        embeddings = retriever.prepare()
        labels = np.array([gallery.items[i].label for i in embeddings.item_indices])
        sides[split] = (embeddings.descriptors, labels, [gallery.items[i] for i in embeddings.item_indices])
    gallery_descriptors, gallery_labels, _ = sides["train"]
    query_descriptors, query_labels, query_items = sides["test"]
    scores = query_descriptors @ gallery_descriptors.T
    ids = np.tile(np.arange(len(gallery_labels)), (len(query_labels), 1))
    _, ranked = stable_rank(scores, ids)
    hits = gallery_labels[ranked[:, :TOP_K]] == query_labels[:, None]
    return hits.mean(axis=1), query_items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cub-root", type=Path, required=True)
    parser.add_argument("--classes", default="1-100")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    cache = GalleryCache(args.cache_dir)
    gap_precision, items = precision_at_k("gap", args.cub_root, args.classes, cache)
    wmtl_precision, _ = precision_at_k("wmtl", args.cub_root, args.classes, cache)

    kinds = {
        "easy": (gap_precision == 1.0) & (wmtl_precision == 1.0),
        "hard": (gap_precision == 0.0) & (wmtl_precision == 0.0),
        "misleading_background": (gap_precision <= 0.2) & (wmtl_precision >= 0.8),
    }
    examples = []
    for kind, selected in kinds.items():
        # Spread the picks over classes: the first matching query of distinct classes.
        seen_labels: set[int] = set()
        for index in np.flatnonzero(selected):
            if items[index].label in seen_labels:
                continue
            seen_labels.add(items[index].label)
            examples.append(
                {
                    "relpath": items[index].relpath,
                    "kind": kind,
                    "gap_precision_at_5": round(float(gap_precision[index]), 2),
                    "wmtl_precision_at_5": round(float(wmtl_precision[index]), 2),
                }
            )
            if len(seen_labels) == PER_KIND:
                break
    print(json.dumps({"source": "tools/pick_classroom_examples.py, mobilenet_v2, CUB classes " + args.classes, "examples": examples}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
