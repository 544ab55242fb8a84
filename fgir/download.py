"""Download CUB-200-2011, verify it and extract a gallery root: ``python -m fgir download cub``.

:func:`fetch_cub` leaves ``DEST/CUB_200_2011.tgz`` (unless asked to remove it) and the root
``DEST/CUB_200_2011/`` in the official layout, which :func:`fgir.gallery.open_gallery` opens.

- The archive comes from Caltech's data archive (:data:`OFFICIAL_URL`) or from a mirror whose
  MD5 the caller supplies. HTTP uses only ``urllib``, with a timeout on every socket operation.
- The download goes to ``CUB_200_2011.tgz.part`` and resumes with an HTTP Range request. A
  server that ignores Range responds 200 with the whole file, and the download restarts from
  byte 0. A dropped connection is retried, resuming, up to :data:`MAX_ATTEMPTS` times per run.
- The size (the official size, or for a mirror the size its server reports) and the MD5 are
  checked before anything is extracted. A file with the wrong MD5 is renamed to
  ``CUB_200_2011.tgz.md5-mismatch`` so that it is neither resumed nor extracted.
- Extraction goes to a temporary folder inside DEST through :func:`fgir.archive.extract_tar`,
  which rejects absolute paths, '..' components, links and special files. Only a complete,
  valid root is moved to ``DEST/CUB_200_2011``.
- ``classes=N`` keeps the first N class ids: the metadata tables keep only those classes'
  lines (image ids stay the official ones) and the other classes' images are never extracted.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from fgir import __version__
from fgir.archive import extract_tar
from fgir.errors import FgirError, GalleryError, Message, msg
from fgir.gallery import is_cub_root

logger = logging.getLogger(__name__)

# CUB-200-2011 on CaltechDATA (record 65de6-vp158); the size and MD5 are those of its CUB_200_2011.tgz.
OFFICIAL_URL = "https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz"
OFFICIAL_MD5 = "97eceeb196236b17998738112f37df78"
OFFICIAL_SIZE = 1_150_585_339
ARCHIVE_NAME = "CUB_200_2011.tgz"
ROOT_NAME = "CUB_200_2011"
CUB_CLASS_COUNT = 200
PART_SUFFIX = ".part"
PART_INFO_SUFFIX = ".part.json"
MISMATCH_SUFFIX = ".md5-mismatch"

DEFAULT_TIMEOUT_S = 30.0
MAX_ATTEMPTS = 3
RETRY_DELAY_S = 2.0
READ_CHUNK_BYTES = 1 << 20
HTTP_RANGE_NOT_SATISFIABLE = 416
HTTP_PARTIAL_CONTENT = 206
HTTP_OK = 200
HTTP_SERVER_ERROR = 500
_MD5_PATTERN = re.compile(r"^[0-9a-fA-F]{32}$")
_CONTENT_RANGE = re.compile(r"^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$")

# Tables whose lines start with an image id, relative to the root. The first four form the
# official layout that open_gallery reads; the others are CUB's part and attribute annotations.
IMAGE_TABLES = (
    "images.txt",
    "image_class_labels.txt",
    "train_test_split.txt",
    "bounding_boxes.txt",
    "parts/part_locs.txt",
    "parts/part_click_locs.txt",
    "attributes/image_attribute_labels.txt",
)
CLASS_TABLE = "classes.txt"
# One line per class in class-id order, without an id column.
CLASS_ROW_TABLES = ("attributes/class_attribute_labels_continuous.txt",)


# Stages reported to a ProgressReport callback.
STAGE_DOWNLOAD = "download"
STAGE_VERIFY = "verify"
STAGE_EXTRACT = "extract"

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as ``(stage, done, total)`` in bytes or archive members; ``total`` is None when unknown."""


@dataclass(frozen=True)
class ProgressReport:
    """Progress outputs: tqdm bars on stderr and, for the app, an optional callback."""

    show_bars: bool | None = None  # None draws the bars only on a terminal.
    callback: ProgressCallback | None = None

    @contextmanager
    def stage(
        self, stage: str, description: str, total: int | None = None, initial: int = 0, unit: str = "B"
    ) -> Iterator[Callable[[int], None]]:
        """Open one bar and yield a function that advances it by a count."""
        disable = None if self.show_bars is None else not self.show_bars
        done = initial
        with tqdm(
            total=total,
            initial=initial,
            unit=unit,
            unit_scale=unit == "B",
            unit_divisor=1024,
            desc=description,
            file=sys.stderr,
            disable=disable,
            leave=False,
        ) as bar:

            def advance(count: int) -> None:
                nonlocal done
                done += count
                bar.update(count)
                if self.callback is not None:
                    self.callback(stage, done, total)

            if self.callback is not None:
                self.callback(stage, done, total)
            yield advance


class DownloadError(FgirError):
    """A download failed, was rejected by its checks, or its archive could not be installed."""


class _TransientError(Exception):
    """A failure that a retry may fix: a dropped connection, a timeout or a server error."""


@dataclass(frozen=True)
class ArchiveSource:
    """Archive URL with the MD5 and size to verify the download against."""

    url: str
    md5: str  # lowercase hex
    size: int | None  # expected bytes; None trusts the size the server reports

    @property
    def is_official(self) -> bool:
        return self.url == OFFICIAL_URL


OFFICIAL_SOURCE = ArchiveSource(OFFICIAL_URL, OFFICIAL_MD5, OFFICIAL_SIZE)


def archive_source(url: str | None = None, md5: str | None = None) -> ArchiveSource:
    """Return the official source, or a mirror that must come with its MD5."""
    if url is None or url == OFFICIAL_URL:
        if md5 is not None and md5.lower() != OFFICIAL_MD5:
            raise DownloadError(msg("download.md5_without_url", md5=md5))
        return OFFICIAL_SOURCE
    if not url.startswith(("http://", "https://")):
        raise DownloadError(msg("download.invalid_url_scheme", url=repr(url), archive=ARCHIVE_NAME))
    if md5 is None:
        raise DownloadError(msg("download.url_without_md5", url=url, archive=ARCHIVE_NAME, official_md5=OFFICIAL_MD5))
    if not _MD5_PATTERN.match(md5):
        raise DownloadError(msg("download.invalid_md5", md5=repr(md5)))
    return ArchiveSource(url, md5.lower(), None)


# --- download --------------------------------------------------------------------------------


def download_archive(
    source: ArchiveSource,
    target: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    attempts: int = MAX_ATTEMPTS,
    progress: ProgressReport = ProgressReport(),
) -> Path:
    """Download ``source`` to ``target``, resuming ``target.part``, and verify size and MD5.

    An existing ``target`` with the right MD5 is reused without a request.
    """
    if target.is_file():
        digest = file_md5(target, progress)
        if digest == source.md5:
            logger.info("Reusing verified archive %s", target)
            return target
        raise DownloadError(msg("download.existing_md5_mismatch", path=target, digest=digest, expected=source.md5))

    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + PART_SUFFIX)
    info = target.with_name(target.name + PART_INFO_SUFFIX)
    _discard_foreign_part(part, info, source)

    remote_size: int | None = None
    for attempt in range(1, attempts + 1):
        try:
            remote_size = _download_once(source, part, timeout_s, progress)
            break
        except OSError as error:  # Network errors arrive as _TransientError, so this is local I/O.
            raise DownloadError(msg("download.write_failed", path=part, reason=error, folder=target.parent)) from error
        except _TransientError as error:
            kept = part.stat().st_size if part.is_file() else 0
            if attempt == attempts:
                if not kept:
                    info.unlink(missing_ok=True)
                raise DownloadError(_network_failure_message(source, error, part, kept)) from None
            delay = RETRY_DELAY_S * attempt
            logger.warning(
                "Download of %s failed (%s). Retrying in %.0f s from byte %d", source.url, error, delay, kept
            )
            time.sleep(delay)

    try:
        _verify_download(source, part, target, remote_size, progress)
    except DownloadError:
        info.unlink(missing_ok=True)  # The part file is gone: deleted or moved aside.
        raise
    os.replace(part, target)
    info.unlink(missing_ok=True)
    logger.info("Downloaded and verified %s", target)
    return target


def _network_failure_message(source: ArchiveSource, error: _TransientError, part: Path, kept: int) -> Message:
    reason = error.args[0]
    if source.is_official:
        if kept:
            return msg("download.network_failed_resume", url=source.url, reason=reason, kept=kept, path=part)
        return msg("download.network_failed", url=source.url, reason=reason)
    if kept:
        return msg("download.mirror_failed_resume", url=source.url, reason=reason, kept=kept, path=part)
    return msg("download.mirror_failed", url=source.url, reason=reason)


def _discard_foreign_part(part: Path, info: Path, source: ArchiveSource) -> None:
    """Delete a partial download of another archive (another MD5), then record this one's MD5."""
    if part.is_file() and info.is_file():
        try:
            recorded = json.loads(info.read_text(encoding="utf-8")).get("md5")
        except (OSError, ValueError, AttributeError):
            recorded = None
        if recorded != source.md5:
            logger.warning("Discarding %s: it belongs to an archive with MD5 %s, not %s", part, recorded, source.md5)
            part.unlink()
    info.write_text(json.dumps({"url": source.url, "md5": source.md5}), encoding="utf-8")


def _download_once(source: ArchiveSource, part: Path, timeout_s: float, progress: ProgressReport) -> int | None:
    """Fetch the rest of ``part`` in one request and return the full size the server reports, if any."""
    offset = part.stat().st_size if part.is_file() else 0
    if source.size is not None and offset > source.size:
        logger.warning("Discarding %s: %d bytes is more than the archive's %d", part, offset, source.size)
        part.unlink()
        offset = 0
    if source.size is not None and offset == source.size:
        return source.size

    headers = {"User-Agent": f"fgir/{__version__} (python urllib)"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(source.url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as error:
        return _handle_http_error(error, source, part, offset)
    except ValueError as error:  # urllib's message for a URL it cannot parse, e.g. one without a host.
        raise DownloadError(msg("download.invalid_url", url=repr(source.url), reason=error, archive=ARCHIVE_NAME)) from error
    # URLError (DNS failure, refused connection) and timeouts are OSErrors.
    except (OSError, http.client.HTTPException) as error:
        raise _TransientError(_describe(error)) from error

    with response:
        status = response.status
        if status == HTTP_PARTIAL_CONTENT:
            start, total = _parse_content_range(response.headers.get("Content-Range"))
            if start != offset:
                part.unlink(missing_ok=True)
                raise _TransientError(msg("download.wrong_resume_offset", start=start, offset=offset))
            mode = "ab"
        elif status == HTTP_OK:
            if offset:
                logger.warning("%s ignored the Range request, so the download restarts from byte 0", source.url)
                offset = 0
            total = _int_or_none(response.headers.get("Content-Length"))
            mode = "wb"
        else:
            raise DownloadError(msg("download.unexpected_status", url=source.url, status=status))

        if source.size is not None and total is not None and total != source.size:
            raise DownloadError(
                msg("download.size_mismatch", url=source.url, total=total, archive=ARCHIVE_NAME, expected=source.size)
            )
        expected_total = source.size if source.size is not None else total
        _copy_body(response, part, mode, offset, expected_total, progress)
    return expected_total


def _copy_body(
    response: http.client.HTTPResponse,
    part: Path,
    mode: str,
    offset: int,
    total: int | None,
    progress: ProgressReport,
) -> None:
    received = offset
    with (
        part.open(mode) as sink,
        progress.stage(STAGE_DOWNLOAD, f"Downloading {ARCHIVE_NAME}", total, initial=offset) as advance,
    ):
        while True:
            try:
                block = response.read(READ_CHUNK_BYTES)
            # A timeout is an OSError, and IncompleteRead reports a connection closed before Content-Length.
            except (OSError, http.client.HTTPException) as error:
                raise _TransientError(msg("download.connection_lost", received=received, reason=_describe(error))) from error
            if not block:
                break
            sink.write(block)  # A local OSError here, such as a full disk, is not retried.
            received += len(block)
            advance(len(block))
    if total is not None and received < total:
        raise _TransientError(msg("download.connection_closed", received=received, total=total))


def _handle_http_error(error: urllib.error.HTTPError, source: ArchiveSource, part: Path, offset: int) -> int | None:
    """Turn an HTTP error status into a result, a retry or a final error."""
    error.close()
    if error.code == HTTP_RANGE_NOT_SATISFIABLE and offset:
        _, total = _parse_content_range(error.headers.get("Content-Range"))
        if total == offset:
            return total  # The partial file is already complete.
        part.unlink(missing_ok=True)
        raise _TransientError(msg("download.resume_rejected", offset=offset))
    if error.code >= HTTP_SERVER_ERROR:
        raise _TransientError(f"HTTP {error.code} {error.reason}")
    raise DownloadError(msg("download.http_error", url=source.url, code=error.code, reason=error.reason))


def _parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """Parse 'bytes START-END/TOTAL' or 'bytes */TOTAL' into (START, TOTAL), with None for unknown parts."""
    match = _CONTENT_RANGE.match((value or "").strip())
    if not match:
        return None, None
    start = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return start, total


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, TimeoutError):  # socket.timeout is an alias of TimeoutError since Python 3.10.
        return "timed out"  # NOTE: OS-level details such as this one stay English in both UI languages.
    return str(error) or type(error).__name__


def _verify_download(
    source: ArchiveSource, part: Path, target: Path, remote_size: int | None, progress: ProgressReport
) -> None:
    """Check the size and MD5 of a finished download.

    Raises DownloadError after deleting a file of the wrong size or moving one with the wrong MD5
    aside, so that neither is resumed.
    """
    size = part.stat().st_size
    expected_size = source.size if source.size is not None else remote_size
    if expected_size is not None and size != expected_size:
        part.unlink()
        raise DownloadError(msg("download.wrong_size", size=size, url=source.url, expected=expected_size))
    digest = file_md5(part, progress)
    if digest != source.md5:
        rejected = target.with_name(target.name + MISMATCH_SUFFIX)
        os.replace(part, rejected)
        if source.is_official:
            raise DownloadError(msg("download.md5_mismatch", url=source.url, digest=digest, expected=source.md5, path=rejected))
        raise DownloadError(msg("download.mirror_md5_mismatch", url=source.url, digest=digest, expected=source.md5, path=rejected))


def file_md5(path: Path, progress: ProgressReport = ProgressReport()) -> str:
    """Return the lowercase hex MD5 of ``path``."""
    digest = hashlib.md5(usedforsecurity=False)
    with (
        path.open("rb") as handle,
        progress.stage(STAGE_VERIFY, f"Verifying MD5 of {path.name}", path.stat().st_size) as advance,
    ):
        while block := handle.read(READ_CHUNK_BYTES):
            digest.update(block)
            advance(len(block))
    return digest.hexdigest()


# --- extraction ------------------------------------------------------------------------------


def extract_cub(
    archive: Path, destination: Path, classes: int | None = None, progress: ProgressReport = ProgressReport()
) -> Path:
    """Extract a verified CUB-200-2011 archive into ``destination/CUB_200_2011`` and return that root.

    An existing root is replaced only after the new one is complete.
    """
    destination.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fgir-extract-", dir=destination))
    try:
        staged_root = staging / ROOT_NAME
        if classes is None:
            _extract_with_progress(archive, staging, None, "Extracting", progress)
        else:
            _extract_with_progress(
                archive, staging, lambda name: not _is_image_member(name), "Extracting metadata", progress
            )
            if not is_cub_root_metadata(staged_root):
                raise _not_cub_error(archive)
            kept = select_first_classes(staged_root, classes)
            _extract_with_progress(
                archive, staging, lambda name: _image_relpath(name) in kept, "Extracting images", progress
            )
            missing = [relpath for relpath in sorted(kept) if not (staged_root / "images" / relpath).is_file()]
            if missing:
                logger.warning(
                    "%d images listed in images.txt are not in %s, e.g. %s", len(missing), archive, missing[:3]
                )
        if not is_cub_root(staged_root):
            raise _not_cub_error(archive)
        _install(staging, destination)
    except GalleryError as error:
        raise DownloadError(msg("download.not_installed", reason=error, folder=destination)) from error
    except OSError as error:
        raise DownloadError(msg("download.extract_failed", archive=archive, folder=destination, reason=error)) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination / ROOT_NAME


def _extract_with_progress(
    archive: Path, staging: Path, include: Callable[[str], bool] | None, description: str, progress: ProgressReport
) -> None:
    with progress.stage(STAGE_EXTRACT, f"{description} {archive.name}", unit="file") as advance:
        count = extract_tar(archive, staging, include, on_member=lambda name, size: advance(1))
    logger.info("%s: extracted %d members of %s", description, count, archive)


def _not_cub_error(archive: Path) -> DownloadError:
    return DownloadError(msg("download.not_cub", archive=archive, root=ROOT_NAME, archive_name=ARCHIVE_NAME))


def _is_image_member(name: str) -> bool:
    return name == f"{ROOT_NAME}/images" or name.startswith(f"{ROOT_NAME}/images/")


def _image_relpath(name: str) -> str | None:
    prefix = f"{ROOT_NAME}/images/"
    return name[len(prefix) :] if name.startswith(prefix) else None


def is_cub_root_metadata(root: Path) -> bool:
    """Return whether ``root`` has the metadata tables of a CUB root, with or without its images."""
    return all(
        (root / name).is_file()
        for name in ("images.txt", "image_class_labels.txt", "train_test_split.txt", CLASS_TABLE)
    )


def _install(staging: Path, destination: Path) -> None:
    """Move the extracted root, and any other top-level files of the archive, into ``destination``."""
    root = destination / ROOT_NAME
    if root.exists():
        shutil.rmtree(root)
    os.replace(staging / ROOT_NAME, root)
    for entry in sorted(staging.iterdir()):
        target = destination / entry.name
        if entry.is_dir() and target.exists():
            logger.warning("Not replacing folder %s from the archive: it already exists", target)
            continue
        if target.is_dir():
            logger.warning("Not replacing folder %s with the archive's file of the same name", target)
            continue
        os.replace(entry, target)


# --- subsets of the metadata -----------------------------------------------------------------


def select_first_classes(root: Path, count: int) -> set[str]:
    """Rewrite the metadata under ``root`` to keep the ``count`` lowest class ids, and return the kept images' relpaths.

    Every table of :data:`IMAGE_TABLES`, :data:`CLASS_TABLE` and :data:`CLASS_ROW_TABLES` that
    exists is rewritten in place.
    """
    class_ids = sorted(_read_ids(root / CLASS_TABLE))
    if count < 1 or count > len(class_ids):
        # The staging folder is gone by the time a user reads this, so the table is named as the archive's.
        table = f"{ROOT_NAME}/{CLASS_TABLE}"
        raise DownloadError(msg("download.classes_out_of_range", count=count, path=table, available=len(class_ids)))
    kept_classes = set(class_ids[:count])
    labels = _read_first_fields(root / "image_class_labels.txt")
    image_ids = {
        image_id
        for image_id, label in labels.items()
        if _parse_id(label, root / "image_class_labels.txt") in kept_classes
    }
    relpaths = _read_first_fields(root / "images.txt")
    write_metadata_subset(root, root, image_ids, kept_classes, IMAGE_TABLES)
    logger.info("Kept %d images of class ids %d-%d", len(image_ids), min(kept_classes), max(kept_classes))
    return {relpaths[image_id] for image_id in image_ids if image_id in relpaths}


def write_metadata_subset(
    source_root: Path, target_root: Path, image_ids: set[int], class_ids: set[int], tables: Iterable[str] = IMAGE_TABLES
) -> None:
    """Write the lines of ``image_ids`` and ``class_ids`` from the CUB tables under ``source_root`` to ``target_root``.

    Lines are copied as they are, so ids stay the official ones. Tables missing from the source
    are skipped. ``source_root`` may equal ``target_root``.
    """
    for name in tables:
        _filter_table(source_root / name, target_root / name, lambda key: key in image_ids)
    _filter_table(source_root / CLASS_TABLE, target_root / CLASS_TABLE, lambda key: key in class_ids)
    for name in CLASS_ROW_TABLES:
        path = source_root / name
        if path.is_file():
            rows = path.read_text(encoding="utf-8").splitlines()
            kept = [row for number, row in enumerate(rows, start=1) if number in class_ids]
            _write_lines(target_root / name, kept)


def _filter_table(source: Path, target: Path, keep: Callable[[int], bool]) -> None:
    if not source.is_file():
        return
    kept = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.strip() and keep(_parse_id(line.split()[0], source)):
            kept.append(line)
    _write_lines(target, kept)


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _read_first_fields(path: Path) -> dict[int, str]:
    """Map each line's id to its second field."""
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(maxsplit=2)
        if len(fields) >= 2:
            table[_parse_id(fields[0], path)] = fields[1]
    return table


def _read_ids(path: Path) -> set[int]:
    return {_parse_id(line.split()[0], path) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _parse_id(text: str, path: Path) -> int:
    try:
        return int(text)
    except ValueError:
        raise DownloadError(msg("download.invalid_id", path=path, value=repr(text))) from None


# --- entry point -----------------------------------------------------------------------------


def fetch_cub(
    destination: Path,
    source: ArchiveSource = OFFICIAL_SOURCE,
    classes: int | None = None,
    force: bool = False,
    keep_archive: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: ProgressReport = ProgressReport(),
) -> Path:
    """Download, verify and extract CUB-200-2011 into ``destination``, and return the CUB root."""
    destination = destination.expanduser().resolve()
    root = destination / ROOT_NAME
    if destination.exists() and not destination.is_dir():
        raise DownloadError(msg("download.destination_not_folder", folder=destination))
    if root.exists() and not force:
        raise DownloadError(msg("download.root_exists", root=root))
    # Checked before the download, because every copy of CUB-200-2011 has 200 classes.
    if classes is not None and not 1 <= classes <= CUB_CLASS_COUNT:
        raise DownloadError(msg("download.invalid_classes", classes=classes, maximum=CUB_CLASS_COUNT))
    archive = download_archive(source, destination / ARCHIVE_NAME, timeout_s, progress=progress)
    root = extract_cub(archive, destination, classes, progress)
    if not keep_archive:
        archive.unlink()
        logger.info("Removed %s", archive)
    return root
