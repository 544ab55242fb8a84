"""Arguments and helpers shared by the commands that open a gallery with a method and backbone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from fgir.backbones import BACKBONES, load_backbone
from fgir.cache import CACHE_DIR_ENV, GalleryCache
from fgir.errors import FgirError
from fgir.gallery import SPLITS, open_gallery
from fgir.methods import METHODS, create_method
from fgir.indexing import DEFAULT_BATCH_SIZE
from fgir.pipeline import Retriever

DEFAULT_METHOD = "wmtl"
DEFAULT_BACKBONE = "mobilenet_v2"


def add_gallery_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gallery", required=True, type=Path, help="CUB-200-2011 root or a folder of class subfolders")
    parser.add_argument("--split", choices=SPLITS, default=None, help="CUB split to index (default: train; folders: all)")
    parser.add_argument("--classes", default=None, help="inclusive range of class ids to keep, e.g. 1-100 (default: all)")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the method with its options, then the backbone, cache and batch arguments."""
    parser.add_argument("--method", choices=sorted(METHODS), default=DEFAULT_METHOD, help="retrieval method")
    add_backbone_arguments(parser)
    parser.add_argument("--flip", action="store_true", help="wmtl: fuse the descriptor of the mirrored image")
    parser.add_argument(
        "--checkpoint", type=Path, default=None, help="wlrh: hash checkpoint written by train-hash (required with --method wlrh)"
    )


def add_backbone_arguments(parser: argparse.ArgumentParser) -> None:
    """Add backbone, weights, cache and batch arguments; commands over several methods use only these."""
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default=DEFAULT_BACKBONE, help="CNN backbone")
    parser.add_argument("--weights", type=Path, default=None, help="local state-dict file for the chosen backbone")
    parser.add_argument(
        "--allow-random-weights",
        action="store_true",
        help="development only: use random weights when ImageNet weights are unavailable",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help=f"gallery cache folder (default: ${CACHE_DIR_ENV} or gallery_cache/)"
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="images per forward pass when indexing")


def method_options(args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {"flip": True} if args.flip else {}
    checkpoint = getattr(args, "checkpoint", None)
    if args.method == "wlrh":
        if checkpoint is None:
            raise FgirError(
                "--method wlrh needs --checkpoint PATH, a hash checkpoint written by 'python -m fgir train-hash' "
                "for the same --backbone. Train one or pass an existing file."
            )
        options["checkpoint"] = checkpoint
    elif checkpoint is not None:
        raise FgirError(f"--checkpoint applies to the wlrh method only, not {args.method!r}. Drop --checkpoint or use --method wlrh.")
    return options


def build_retriever(args: argparse.Namespace) -> Retriever:
    if args.batch_size < 1:
        raise FgirError(f"Invalid --batch-size {args.batch_size}. Use a positive number such as 32.")
    gallery = open_gallery(args.gallery, args.split, args.classes)
    options = method_options(args)
    if args.flip and args.method != "wmtl":
        raise FgirError(f"--flip applies to the wmtl method only, not {args.method!r}. Drop --flip.")
    method = create_method(args.method, **options)
    backbone = load_backbone(args.backbone, args.weights, args.allow_random_weights or None)
    return Retriever(gallery, method, backbone, GalleryCache(args.cache_dir))


def prepare_with_progress(retriever: Retriever, batch_size: int) -> None:
    """Load or build the gallery cache, drawing a progress bar on stderr while indexing."""
    bar = tqdm(total=len(retriever.gallery.items), unit="img", desc="Indexing gallery", file=sys.stderr, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        retriever.prepare(progress=update, batch_size=batch_size)
    finally:
        bar.close()
