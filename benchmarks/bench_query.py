"""Benchmark query latency by stage and indexing throughput, each against a bare forward pass.

Run from the repository root, for example:
    python benchmarks/bench_query.py --gallery ../shared/data/CUB_200_2011 --classes 1-10

Stages of one query: load (decode + EXIF + RGB), preprocess, describe (forward + method),
search (faiss), explain (weighting maps + saliency, sharing the forward pass where the method
allows) and render (thumbnails, overlays, plot). The bare forward is the backbone alone on the
same preprocessed tensor in the same run. Indexing throughput is compared with a bare batched
forward over tensors decoded in advance.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fgir.backbones import load_backbone  # noqa: E402
from fgir.gallery import open_gallery  # noqa: E402
from fgir.imageio import load_image  # noqa: E402
from fgir.indexing import compute_embeddings  # noqa: E402
from fgir.methods import create_method  # noqa: E402
from fgir.service import RetrievalService  # noqa: E402

WARMUP_RUNS = 3


def _timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def median_ms(samples: list[float]) -> float:
    return 1000.0 * statistics.median(samples)


def bench_queries(args: argparse.Namespace) -> dict:
    service = RetrievalService(args.cache_dir)
    gallery = service.set_gallery(args.gallery, "train", args.classes)
    retriever = service.prepare(args.method, args.backbone)
    backbone = retriever.backbone
    queries = open_gallery(args.gallery, "test", args.classes) if gallery.kind == "cub" else gallery
    paths = [queries.path_of(item) for item in queries.items[: args.queries]]

    stages: dict[str, list[float]] = {name: [] for name in ("load", "preprocess", "bare_forward", "describe", "search", "describe+explain", "service_total")}
    for round_number, path in enumerate(paths):
        image, load_s = _timed(lambda: load_image(path))
        pixels, preprocess_s = _timed(lambda: backbone.preprocess(image)[None])
        with torch.inference_mode():
            _, forward_s = _timed(lambda: backbone.feature_maps(pixels))
        batch, describe_s = _timed(lambda: retriever.method.describe(backbone, pixels))
        _, search_s = _timed(lambda: retriever._index.search(batch.descriptors.numpy(), args.top_k))
        _, both_s = _timed(lambda: retriever.method.describe_and_explain(backbone, pixels))
        _, service_s = _timed(lambda: service.search(path, args.method, args.backbone, args.top_k))
        if round_number < WARMUP_RUNS:
            continue
        for name, value in zip(stages, (load_s, preprocess_s, forward_s, describe_s, search_s, both_s, service_s)):
            stages[name].append(value)
    medians = {name: median_ms(values) for name, values in stages.items()}
    medians["query_total"] = medians["describe"] + medians["search"]
    # The service's search loads, describes, explains, searches and renders; rendering is the rest.
    medians["render"] = medians["service_total"] - medians["load"] - medians["preprocess"] - medians["describe+explain"] - medians["search"]
    medians["describe_over_forward"] = medians["describe"] / medians["bare_forward"]
    return {"queries_timed": len(stages["load"]), "median_ms": medians}


def bench_indexing(args: argparse.Namespace) -> dict:
    gallery = open_gallery(args.gallery, "train", args.classes)
    gallery.items = gallery.items[: args.index_images]
    backbone = load_backbone(args.backbone)
    method = create_method(args.method)

    tensors = [backbone.preprocess(load_image(gallery.path_of(item))) for item in gallery.items]
    with torch.inference_mode():
        backbone.feature_maps(torch.stack(tensors[: args.batch_size]))  # warm-up
        started = time.perf_counter()
        for start in range(0, len(tensors), args.batch_size):
            backbone.feature_maps(torch.stack(tensors[start : start + args.batch_size]))
        bare_s = time.perf_counter() - started

    started = time.perf_counter()
    compute_embeddings(gallery, method, backbone, partial_dir=None, batch_size=args.batch_size)
    index_s = time.perf_counter() - started
    count = len(gallery.items)
    return {
        "images": count,
        "bare_forward_img_per_s": count / bare_s,
        "indexing_img_per_s": count / index_s,
        "indexing_over_bare": (count / index_s) / (count / bare_s),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gallery", type=Path, required=True, help="CUB-200-2011 root or folder gallery")
    parser.add_argument("--classes", default="1-10", help="class range to use (default: 1-10)")
    parser.add_argument("--method", default="wmtl")
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--queries", type=int, default=30, help="query images to time (first WARMUP_RUNS are discarded)")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--index-images", type=int, default=256, help="gallery images for the throughput test")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    report = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, {platform.processor() or 'cpu'}",
        "torch": torch.__version__,
        "method": args.method,
        "backbone": args.backbone,
        "query": bench_queries(args),
        "indexing": bench_indexing(args),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
