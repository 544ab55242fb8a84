"""Safe extraction of uploaded or downloaded archives: no member may land outside the destination."""

from __future__ import annotations

import logging
import shutil
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable

from fgir.errors import GalleryError, msg

logger = logging.getLogger(__name__)

# Limits against zip bombs; a CUB-200-2011 subset of 100 classes is about 600 MB and 6,000 files.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_MEMBERS = 50_000


def safe_member_path(destination: Path, name: str) -> Path:
    """Resolve an archive member name under ``destination``; raise for absolute paths and '..' escapes."""
    target = (destination / name).resolve()
    root = destination.resolve()
    if name.startswith(("/", "\\")) or (target != root and root not in target.parents):
        raise GalleryError(msg("archive.member_outside", name=name, destination=destination))
    return target


def extract_zip(archive: Path, destination: Path) -> Path:
    """Extract a zip archive safely into ``destination`` and return the folder holding its content.

    Symbolic links are skipped. When the archive wraps everything in one top-level folder, that
    folder is returned, so 'birds.zip' containing 'birds/<class>/<image>' works like '<class>/<image>'.
    """
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise GalleryError(msg("archive.zip_unreadable", archive=archive, reason=error)) from error
    with handle:
        members = handle.infolist()
        if len(members) > MAX_MEMBERS:
            raise GalleryError(msg("archive.too_many_members", archive=archive, count=len(members), limit=MAX_MEMBERS))
        total = sum(member.file_size for member in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise GalleryError(msg("archive.too_large", archive=archive, size=total, limit=MAX_UNCOMPRESSED_BYTES))
        destination.mkdir(parents=True, exist_ok=True)
        try:
            _extract_members(handle, members, destination)
        except GalleryError:
            shutil.rmtree(destination, ignore_errors=True)
            raise
        # Damaged, encrypted or exotic archives: zipfile raises these while reading members.
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as error:
            shutil.rmtree(destination, ignore_errors=True)
            raise GalleryError(msg("archive.zip_extract_failed", archive=archive, reason=error)) from error
    return single_top_folder(destination)


def _extract_members(handle: zipfile.ZipFile, members: list[zipfile.ZipInfo], destination: Path) -> None:
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


def single_top_folder(folder: Path) -> Path:
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        inner = entries[0]
        # Descend only if the inner folder contains class folders rather than images.
        if any(child.is_dir() for child in inner.iterdir()):
            return inner
    return folder


# Python 3.10.12, 3.11.4 and 3.12 added extraction filters; 'data' rejects links and paths that leave
# the destination, special files and unsafe permission bits. extract_tar's own checks are stricter.
_TAR_FILTER: dict[str, object] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def normalized_tar_name(name: str) -> str:
    """Return a tar member name without a leading './' or a trailing '/'."""
    parts = [part for part in PurePosixPath(name).parts if part != "."]
    return "/".join(parts)


def check_tar_member(member: tarfile.TarInfo, destination: Path) -> None:
    """Raise GalleryError unless ``member`` is a plain file or folder that stays inside ``destination``.

    A dataset archive contains only files and folders, so links, devices and FIFOs are rejected
    outright, not only those that point outside.
    """
    name = member.name
    if PurePosixPath(name).is_absolute() or name.startswith("\\") or ".." in PurePosixPath(name).parts:
        raise GalleryError(msg("archive.member_unsafe_path", name=name))
    safe_member_path(destination, name)
    if member.issym():
        raise GalleryError(msg("archive.member_symlink", name=name, target=member.linkname))
    if member.islnk():
        raise GalleryError(msg("archive.member_hardlink", name=name, target=member.linkname))
    if not (member.isfile() or member.isdir()):
        raise GalleryError(msg("archive.member_special", name=name))


def extract_tar(
    archive: Path,
    destination: Path,
    include: Callable[[str], bool] | None = None,
    on_member: Callable[[str, int], None] | None = None,
) -> int:
    """Extract a tar archive (plain, gzip, bzip2 or xz) safely into ``destination`` and return the members written.

    ``include`` receives each member's normalized name and returns whether to extract it;
    ``on_member`` is called with the name and size of each extracted member. Every member,
    included or not, must pass :func:`check_tar_member`, so the first unsafe member raises
    GalleryError. Members extracted before it stay in ``destination``: extract into a fresh
    folder and delete it on error.
    """
    destination.mkdir(parents=True, exist_ok=True)
    seen = written = total_bytes = 0
    try:
        with tarfile.open(archive, "r:*") as handle:
            for member in handle:
                seen += 1
                if seen > MAX_MEMBERS:
                    raise GalleryError(msg("archive.too_many_members_streamed", archive=archive, limit=MAX_MEMBERS))
                check_tar_member(member, destination)
                name = normalized_tar_name(member.name)
                if not name or (include is not None and not include(name)):
                    continue
                total_bytes += member.size
                if total_bytes > MAX_UNCOMPRESSED_BYTES:
                    raise GalleryError(msg("archive.too_large_streamed", archive=archive, limit=MAX_UNCOMPRESSED_BYTES))
                handle.extract(member, destination, **_TAR_FILTER)
                written += 1
                if on_member is not None:
                    on_member(name, member.size)
    # gzip raises EOFError on a truncated stream and zlib.error on corrupt data; FilterError is a TarError.
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise GalleryError(msg("archive.tar_extract_failed", archive=archive, reason=error)) from error
    return written
