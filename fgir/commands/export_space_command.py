"""``python -m fgir export-space``: copy and index a gallery subset for a Hugging Face Space.

The output layout and the ``space.json`` contract are described in fgir/space_export.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from fgir.backbones import BACKBONES
from fgir.commands import Command, register_command
from fgir.commands.common import DEFAULT_BACKBONE, DEFAULT_METHOD, add_gallery_arguments
from fgir.methods import METHODS
from fgir.space_export import (
    CACHE_DIR_NAME,
    DEFAULT_BATCH_SIZE,
    DEFAULT_QUERIES_PER_CLASS,
    GALLERY_DIR_NAME,
    SPACE_CONFIG_NAME,
    export_space,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gallery_arguments(parser)
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        help=f"output folder; receives {GALLERY_DIR_NAME}/, {CACHE_DIR_NAME}/, {SPACE_CONFIG_NAME} and .gitattributes",
    )
    parser.add_argument("--per-class", type=int, default=None, help="images per class to copy and index (default: all)")
    parser.add_argument(
        "--queries-per-class",
        type=int,
        default=None,
        help=(
            "CUB train split only: test images per class copied as example queries "
            f"(default: {DEFAULT_QUERIES_PER_CLASS})"
        ),
    )
    parser.add_argument(
        "--method", choices=sorted(METHODS), default=DEFAULT_METHOD, help="retrieval method to index with"
    )
    parser.add_argument(
        "--backbone", choices=sorted(BACKBONES), default=DEFAULT_BACKBONE, help="CNN backbone to index with"
    )
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="images per forward pass when indexing"
    )


def run(args: argparse.Namespace) -> int:
    bar = tqdm(unit="img", desc="Indexing exported gallery", file=sys.stderr, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        summary = export_space(
            args.gallery,
            args.out,
            split=args.split,
            classes=args.classes,
            per_class=args.per_class,
            queries_per_class=args.queries_per_class,
            method=args.method,
            backbone=args.backbone,
            batch_size=args.batch_size,
            progress=update,
        )
    finally:
        bar.close()
    config = summary.config
    print(
        f"Copied {summary.gallery_images} gallery images and {summary.query_images} example queries "
        f"({summary.bytes_copied / 1e6:.1f} MB) into {config.gallery}"
    )
    print(
        f"Indexed {summary.indexed} images with {config.method} on {config.backbone} "
        f"into {config.cache_dir / (config.cache_entry or '')}"
    )
    for relpath, reason in summary.failed:
        print(f"skipped {relpath}: {reason}")
    print(
        f"Wrote {summary.config_path}; commit the whole folder to the Space with Git LFS for the images and .npy files."
    )
    return 0


register_command(
    Command(
        "export-space",
        "Copy a gallery subset, index it and write space.json for a Hugging Face Space.",
        add_arguments,
        run,
    )
)
