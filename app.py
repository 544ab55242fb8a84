"""Launch the fgir app: ``python app.py [--gallery PATH]``.

Host and port follow Gradio's GRADIO_SERVER_NAME and GRADIO_SERVER_PORT environment variables
unless --host or --port is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from fgir.backbones import BACKBONES, load_backbone
from fgir.cache import CACHE_DIR_ENV
from fgir.commands.common import prepare_with_progress
from fgir.errors import FgirError
from fgir.gallery import SPLITS
from fgir.hashing.checkpoint import load_checkpoint
from fgir.indexing import DEFAULT_BATCH_SIZE
from fgir.methods import METHODS
from fgir.service import RetrievalService
from fgir.space_export import load_space_config
from fgir.ui import build_demo
from fgir.ui.blocks import CLASSROOM_CSS

logger = logging.getLogger("fgir.app")

# Hugging Face Spaces sets SPACE_ID in the environment of every Space.
SPACE_ENV = "SPACE_ID"
SPACE_CONFIG_ENV = "FGIR_SPACE_CONFIG"
# Written by `python -m fgir export-space --out space`; used when no --gallery is given.
DEFAULT_SPACE_CONFIG = Path(__file__).resolve().parent / "space" / "space.json"


def find_space_config(explicit: Path | None) -> Path | None:
    """Return the exported gallery's space.json: --space-config, $FGIR_SPACE_CONFIG, or space/space.json."""
    if explicit is not None:
        return explicit
    if os.environ.get(SPACE_CONFIG_ENV):
        return Path(os.environ[SPACE_CONFIG_ENV])
    return DEFAULT_SPACE_CONFIG if DEFAULT_SPACE_CONFIG.is_file() else None


def parse_weights(values: list[str]) -> dict[str, Path]:
    """Parse repeated BACKBONE=PATH options."""
    weights = {}
    for value in values:
        name, separator, path = value.partition("=")
        if not separator or name not in BACKBONES:
            raise FgirError(f"Invalid --weights {value!r}. Use BACKBONE=PATH with BACKBONE one of: {', '.join(BACKBONES)}.")
        weights[name] = Path(path)
    return weights


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fine-grained image retrieval app (Gradio).")
    parser.add_argument("--gallery", type=Path, default=None, help="CUB-200-2011 root or a folder of class subfolders")
    parser.add_argument("--split", choices=SPLITS, default=None, help="CUB split to search (default: train)")
    parser.add_argument("--classes", default=None, help="inclusive range of class ids, e.g. 1-100 (default: all)")
    parser.add_argument("--method", choices=sorted(METHODS), default="wmtl", help="method selected at start")
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default="mobilenet_v2", help="backbone selected at start")
    parser.add_argument("--weights", action="append", default=[], metavar="BACKBONE=PATH", help="local weights file (repeatable)")
    parser.add_argument("--checkpoint", type=Path, default=None, help="wlrh hash checkpoint selected at start")
    parser.add_argument("--allow-random-weights", action="store_true", help="development only: random weights when none are found")
    parser.add_argument(
        "--space-config",
        type=Path,
        default=None,
        help=f"space.json written by 'python -m fgir export-space' (default: ${SPACE_CONFIG_ENV} or space/space.json when present)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help=f"gallery cache folder (default: ${CACHE_DIR_ENV} or gallery_cache/)")
    parser.add_argument(
        "--index-in-ui",
        action="store_true",
        default=bool(os.environ.get(SPACE_ENV)),
        help="start serving at once and index when the page opens, with a progress bar (default on Hugging Face Spaces)",
    )
    parser.add_argument("--lang", choices=["en", "zh"], default=None, help="interface language (default: the browser's)")
    parser.add_argument("--classroom", action="store_true", help="large fonts and thumbnails, teaching examples, step-by-step view first")
    parser.add_argument("--host", default=None, help="server address (default: Gradio's, 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="server port (default: Gradio's, 7860 or the next free one)")
    return parser.parse_args(argv)


def open_service(args: argparse.Namespace) -> RetrievalService:
    """Build the service from --gallery, or else from an exported Space's space.json."""
    weights = parse_weights(args.weights)
    if args.gallery is not None:
        service = RetrievalService(args.cache_dir, weights, args.allow_random_weights)
        service.set_gallery(args.gallery, args.split, args.classes)
        return service
    config_path = find_space_config(args.space_config)
    if config_path is None:
        return RetrievalService(args.cache_dir, weights, args.allow_random_weights)
    config = load_space_config(config_path)
    logger.info("Using the exported gallery of %s", config_path)
    service = RetrievalService(args.cache_dir or config.cache_dir, weights, args.allow_random_weights)
    service.set_gallery(config.gallery, config.split, config.classes, config.fingerprint_mode)
    args.method, args.backbone = config.method, config.backbone
    return service


def check_local_files(service: RetrievalService, checkpoint: Path | None) -> None:
    """Load every --weights file and the --checkpoint now, so a bad file stops the start with its message.

    Loaded backbones stay cached, so the first query with them does not load them again.
    """
    for backbone_id, path in service.weights.items():
        load_backbone(backbone_id, path, service.allow_random_weights)
    if checkpoint is not None:
        load_checkpoint(checkpoint)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        service = open_service(args)
        check_local_files(service, args.checkpoint)
        if args.checkpoint is not None:
            service.set_hash_checkpoint(args.checkpoint)
        if service.gallery is not None and not args.index_in_ui:
            prepare_with_progress(service.retriever(args.method, args.backbone), batch_size=DEFAULT_BATCH_SIZE)
    except FgirError as error:
        print(f"app.py: error: {error}", file=sys.stderr)
        return 2
    demo = build_demo(service, args.method, args.backbone, args.lang, args.classroom, index_on_load=args.index_in_ui)
    demo.queue().launch(
        server_name=args.host,
        server_port=args.port,
        allowed_paths=_allowed_paths(service),
        show_error=True,
        css=CLASSROOM_CSS if args.classroom else None,
    )
    return 0


def _allowed_paths(service: RetrievalService) -> list[str]:
    # Example queries are gallery files outside the working directory; Gradio serves only allowed paths.
    return [str(service.gallery.image_root)] if service.gallery else []


if __name__ == "__main__":
    sys.exit(main())
