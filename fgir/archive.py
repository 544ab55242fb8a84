"""Safe extraction of uploaded or downloaded archives: no member may land outside the destination."""

from __future__ import annotations

import logging
import shutil
import zipfile
from pathlib import Path

from fgir.errors import GalleryError

logger = logging.getLogger(__name__)

# Limits against zip bombs; a CUB-200-2011 subset of 100 classes is about 600 MB and 6,000 files.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_MEMBERS = 50_000


def safe_member_path(destination: Path, name: str) -> Path:
    """Resolve an archive member name under ``destination``; raise for absolute paths and '..' escapes."""
    target = (destination / name).resolve()
    root = destination.resolve()
    if name.startswith(("/", "\\")) or (target != root and root not in target.parents):
        raise GalleryError(f"Archive member {name!r} would be written outside {destination}. Use an archive of plain relative paths.")
    return target


def extract_zip(archive: Path, destination: Path) -> Path:
    """Extract a zip archive safely into ``destination`` and return the folder holding its content.

    Symbolic links are skipped. When the archive wraps everything in one top-level folder, that
    folder is returned, so 'birds.zip' containing 'birds/<class>/<image>' works like '<class>/<image>'.
    """
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise GalleryError(f"Not a readable zip archive: {archive} ({error}). Upload a .zip of class folders.") from error
    with handle:
        members = handle.infolist()
        if len(members) > MAX_MEMBERS:
            raise GalleryError(f"Archive {archive} has {len(members)} entries, above the limit of {MAX_MEMBERS}. Split it.")
        total = sum(member.file_size for member in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise GalleryError(
                f"Archive {archive} expands to {total:,} bytes, above the limit of {MAX_UNCOMPRESSED_BYTES:,}. Use a smaller subset."
            )
        destination.mkdir(parents=True, exist_ok=True)
        for member in members:
            is_symlink = (member.external_attr >> 16) & 0o170000 == 0o120000
            if is_symlink or "__MACOSX" in member.filename:
                continue
            target = safe_member_path(destination, member.filename)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with handle.open(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
    return single_top_folder(destination)


def single_top_folder(folder: Path) -> Path:
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        inner = entries[0]
        # Descend only if the inner folder holds class folders rather than images.
        if any(child.is_dir() for child in inner.iterdir()):
            return inner
    return folder
