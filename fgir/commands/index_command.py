"""``python -m fgir index``: compute and cache the gallery's descriptors."""

from __future__ import annotations

import argparse
import json

from fgir.commands import Command, register_command
from fgir.commands.common import add_gallery_arguments, add_model_arguments, build_retriever, prepare_with_progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gallery_arguments(parser)
    add_model_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of text")


def run(args: argparse.Namespace) -> int:
    retriever = build_retriever(args)
    prepare_with_progress(retriever, args.batch_size)
    embeddings = retriever.embeddings
    summary = {
        "cache": str(retriever.cache.entry_dir(retriever.key)),
        "images": len(retriever.gallery.items),
        "indexed": int(len(embeddings.descriptors)),
        "dimension": int(embeddings.descriptors.shape[1]) if embeddings.descriptors.ndim == 2 else 0,
        "skipped": [{"relpath": relpath, "reason": reason} for relpath, reason in embeddings.failed],
        "weights": retriever.backbone.weights_id,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"Indexed {summary['indexed']} of {summary['images']} images ({summary['dimension']}-d) into {summary['cache']}")
        for entry in summary["skipped"]:
            print(f"skipped {entry['relpath']}: {entry['reason']}")
    return 0


register_command(Command("index", "Compute and cache gallery descriptors.", add_arguments, run))
