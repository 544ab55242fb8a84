"""``python -m fgir download cub``: download, verify and extract CUB-200-2011 (see fgir/download.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fgir.commands import Command, register_command
from fgir.download import (
    ARCHIVE_NAME,
    CUB_CLASS_COUNT,
    DEFAULT_TIMEOUT_S,
    OFFICIAL_MD5,
    OFFICIAL_SIZE,
    OFFICIAL_URL,
    ROOT_NAME,
    archive_source,
    fetch_cub,
)
from fgir.errors import FgirError
from fgir.gallery import open_gallery

DATASETS = ("cub",)


def _class_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}, pass a number of classes from 1 to {CUB_CLASS_COUNT}, e.g. 10") from None
    if not 1 <= value <= CUB_CLASS_COUNT:
        raise argparse.ArgumentTypeError(f"invalid value {value}, pass a number of classes from 1 to {CUB_CLASS_COUNT}, e.g. 10")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}, pass a number such as 30") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid timeout {value}, pass a positive number of seconds such as 30")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=DATASETS, help="dataset to fetch: cub is CUB-200-2011 (about 1.1 GB)")
    parser.add_argument(
        "--dest",
        required=True,
        type=Path,
        help=f"folder that receives {ARCHIVE_NAME} and the extracted {ROOT_NAME}/ root",
    )
    parser.add_argument(
        "--url",
        default=None,
        help=f"mirror URL of {ARCHIVE_NAME}, used with --md5 (default: Caltech's data archive, {OFFICIAL_URL})",
    )
    parser.add_argument(
        "--md5", default=None, help=f"MD5 of the mirror's archive, 32 hex digits (official: {OFFICIAL_MD5})"
    )
    parser.add_argument(
        "--classes",
        type=_class_count,
        default=None,
        metavar="N",
        help="keep only the N lowest class ids for a light demo gallery, without extracting the other classes' images",
    )
    parser.add_argument("--force", action="store_true", help=f"replace an existing DEST/{ROOT_NAME}")
    parser.add_argument("--remove-archive", action="store_true", help=f"delete {ARCHIVE_NAME} after extracting it")
    parser.add_argument(
        "--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_S, help="seconds to wait for the server on each read"
    )


def run(args: argparse.Namespace) -> int:
    if args.dataset != "cub":
        raise FgirError(f"Unknown dataset {args.dataset!r}. Use one of: {', '.join(DATASETS)}.")
    source = archive_source(args.url, args.md5)
    if source.is_official:
        print(f"Fetching {OFFICIAL_URL} ({OFFICIAL_SIZE:,} bytes) into {args.dest}")
    else:
        print(f"Fetching mirror {source.url} into {args.dest}")
    root = fetch_cub(
        args.dest,
        source,
        classes=args.classes,
        force=args.force,
        keep_archive=not args.remove_archive,
        timeout_s=args.timeout,
    )
    gallery = open_gallery(root, "all")
    class_count = len(gallery.class_names())
    print(f"Extracted {len(gallery.items)} images of {class_count} classes into {root}")
    print(f"Next: python -m fgir index --gallery {root}")
    return 0


register_command(Command("download", "Download, verify and extract a dataset (CUB-200-2011).", add_arguments, run))
