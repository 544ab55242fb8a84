"""``python -m fgir search``: rank the gallery for one query image."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fgir.backbones import RANDOM_WEIGHTS_LABEL
from fgir.commands import Command, register_command
from fgir.commands.common import add_gallery_arguments, add_model_arguments, build_retriever, prepare_with_progress
from fgir.errors import FgirError
from fgir.imageio import load_image

DEFAULT_TOP_K = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gallery_arguments(parser)
    add_model_arguments(parser)
    parser.add_argument("--query", required=True, type=Path, help="query image file")
    parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, help="number of results to return")
    parser.add_argument("--json", action="store_true", help="print the ranked results as JSON")


def run(args: argparse.Namespace) -> int:
    if args.top_k < 1:
        raise FgirError(f"Invalid --top-k {args.top_k}. Use a positive number such as {DEFAULT_TOP_K}.")
    image = load_image(args.query)  # Fails fast, before any indexing, on an unreadable query.
    retriever = build_retriever(args)
    prepare_with_progress(retriever, args.batch_size)
    result = retriever.search(image, args.top_k)

    payload = {
        "query": str(args.query),
        "method": retriever.method.cache_id,
        "backbone": retriever.backbone.id,
        "weights": retriever.backbone.weights_id,
        "random_weights": retriever.backbone.is_random,
        **result.to_dict(),
    }
    if args.json:
        print(json.dumps(payload, indent=2))
        return 0
    if retriever.backbone.is_random:
        print(RANDOM_WEIGHTS_LABEL)
    print(f"Query box: {payload['query_box']}")
    for entry in payload["results"]:
        print(f"{entry['rank']:>3}  {entry['score']:.4f}  {entry['class_name']}  {entry['relpath']}")
    return 0


register_command(Command("search", "Rank the gallery for one query image.", add_arguments, run))
