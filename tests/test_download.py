"""``python -m fgir download cub`` against HTTP servers on 127.0.0.1 that the tests start.

Each test builds a small CUB-like ``CUB_200_2011.tgz`` from generated noise images and serves it
from a thread, with or without HTTP Range support. No test reaches any other host: an autouse
fixture makes ``urllib.request.urlopen`` fail for every URL outside 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest
from PIL import Image

from fgir import download
from fgir.commands import main
from fgir.download import ArchiveSource, DownloadError, download_archive
from fgir.gallery import open_gallery

LOOPBACK = "127.0.0.1"
CLASS_NAMES = ("001.Alpha_bird", "002.Beta_bird", "003.Gamma_bird")
# Official-style ids that are not in class order, so a subset that renumbered them would show.
IMAGE_IDS_BY_CLASS = {1: (5, 2), 2: (6, 3), 3: (1, 4)}
IMAGE_SIDE = 32
PARTS_PER_IMAGE = 2
ATTRIBUTES_PER_CLASS = 3
# How often a test server checks for shutdown; http.server polls every 0.5 s by default.
SERVER_POLL_S = 0.02


# --- archive --------------------------------------------------------------------------------


def _jpeg_bytes(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def _cub_files() -> dict[str, bytes]:
    """Return the members of a CUB-like archive: metadata tables, annotations and images."""
    images, labels, splits, boxes, parts, attributes = [], [], [], [], [], []
    files: dict[str, bytes] = {}
    for class_id, image_ids in IMAGE_IDS_BY_CLASS.items():
        for position, image_id in enumerate(image_ids):
            relpath = f"{CLASS_NAMES[class_id - 1]}/image_{image_id}.jpg"
            files[f"CUB_200_2011/images/{relpath}"] = _jpeg_bytes(image_id)
            images.append((image_id, f"{image_id} {relpath}"))
            labels.append((image_id, f"{image_id} {class_id}"))
            splits.append((image_id, f"{image_id} {1 if position == 0 else 0}"))
            boxes.append((image_id, f"{image_id} 4.0 4.0 20.0 20.0"))
            parts.extend((image_id, f"{image_id} {part} 8.0 8.0 1") for part in range(1, PARTS_PER_IMAGE + 1))
            attributes.append((image_id, f"{image_id} 1 1 3 2.5"))

    def table(rows: list[tuple[int, str]]) -> bytes:
        return "".join(f"{line}\n" for _, line in sorted(rows)).encode()

    files["CUB_200_2011/images.txt"] = table(images)
    files["CUB_200_2011/image_class_labels.txt"] = table(labels)
    files["CUB_200_2011/train_test_split.txt"] = table(splits)
    files["CUB_200_2011/bounding_boxes.txt"] = table(boxes)
    files["CUB_200_2011/classes.txt"] = "".join(
        f"{number} {name}\n" for number, name in enumerate(CLASS_NAMES, 1)
    ).encode()
    files["CUB_200_2011/parts/part_locs.txt"] = table(parts)
    files["CUB_200_2011/attributes/image_attribute_labels.txt"] = table(attributes)
    files["CUB_200_2011/attributes/class_attribute_labels_continuous.txt"] = "".join(
        " ".join(f"{class_id * 10 + column}.0" for column in range(ATTRIBUTES_PER_CLASS)) + "\n"
        for class_id in IMAGE_IDS_BY_CLASS
    ).encode()
    files["CUB_200_2011/README"] = b"A CUB-like test archive.\n"
    files["attributes.txt"] = b"1 has_bill_shape::dagger\n"
    return files


def build_archive(extra: Callable[[tarfile.TarFile], None] | None = None) -> bytes:
    """Return a gzip tar of the CUB-like files; ``extra`` adds members after the metadata."""
    buffer = io.BytesIO()
    files = _cub_files()
    with tarfile.open(fileobj=buffer, mode="w:gz") as handle:
        for folder in ("CUB_200_2011", "CUB_200_2011/images"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            handle.addfile(info)
        images = sorted(name for name in files if "/images/" in name)
        metadata = sorted(name for name in files if name not in images)
        for name in metadata + images[:2]:
            _add_file(handle, name, files[name])
        if extra is not None:
            extra(handle)
        for name in images[2:]:
            _add_file(handle, name, files[name])
    return buffer.getvalue()


def _add_file(handle: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    handle.addfile(info, io.BytesIO(data))


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# --- server ---------------------------------------------------------------------------------


@dataclass
class ServedArchive:
    """One archive served over HTTP, with the Range header of every request it received."""

    payload: bytes
    honor_range: bool = True
    drop_after: int | None = None  # close the first response after this many body bytes
    stall_s: float = 0.0  # wait this long after the headers before sending the body
    ranges: list[str | None] = field(default_factory=list)
    url: str = ""


def _handler_for(served: ServedArchive) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested = self.headers.get("Range")
            served.ranges.append(requested)
            body, start = served.payload, 0
            total = len(body)
            if requested and served.honor_range:
                start = int(requested.removeprefix("bytes=").split("-")[0])
                if start >= total:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{total}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(total - start))
            self.end_headers()
            if served.stall_s:
                time.sleep(served.stall_s)
            chunk = body[start:]
            if served.drop_after is not None:
                chunk = chunk[: served.drop_after]
                served.drop_after = None
                self.close_connection = True
            self.wfile.write(chunk)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., ServedArchive]]:
    """Start HTTP servers on free loopback ports; all are shut down after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(payload: bytes, **options: object) -> ServedArchive:
        served = ServedArchive(payload, **options)
        server = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(served))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SERVER_POLL_S}, daemon=True).start()
        servers.append(server)
        served.url = f"http://{LOOPBACK}:{server.server_address[1]}/{download.ARCHIVE_NAME}"
        return served

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any request to a host other than 127.0.0.1, and skip the pauses between retries."""
    real_urlopen = urllib.request.urlopen

    def guarded_urlopen(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        host = urllib.parse.urlsplit(url).hostname
        assert host == LOOPBACK, f"test tried to reach {url}"
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", guarded_urlopen)
    monkeypatch.setattr(download, "RETRY_DELAY_S", 0.0)


def _run(arguments: list[str]) -> int:
    return main(["download", "cub", *arguments])


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        entry.name for entry in folder.iterdir() if entry.name.startswith(".") or entry.name.endswith(".part")
    )


def _ids(path: Path) -> set[int]:
    return {int(line.split()[0]) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


# --- tests ----------------------------------------------------------------------------------


def test_download_extracts_openable_root(serve, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = build_archive()
    served = serve(payload)
    dest = tmp_path / "data"

    assert _run(["--dest", str(dest), "--url", served.url, "--md5", md5_of(payload)]) == 0

    root = dest / download.ROOT_NAME
    gallery = open_gallery(root, "all")
    assert len(gallery.items) == 6
    assert len(open_gallery(root, "train").items) == 3
    assert all(item.gt_box == (4.0, 4.0, 24.0, 24.0) for item in gallery.items)
    assert (dest / "attributes.txt").is_file()
    assert (dest / download.ARCHIVE_NAME).read_bytes() == payload
    assert _leftovers(dest) == []
    assert served.ranges == [None]
    assert str(root) in capsys.readouterr().out


def test_existing_root_needs_force(serve, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = build_archive()
    served = serve(payload)
    arguments = ["--dest", str(tmp_path), "--url", served.url, "--md5", md5_of(payload)]
    assert _run(arguments) == 0

    assert _run(arguments) == 2
    assert "--force" in capsys.readouterr().err

    assert _run([*arguments, "--force", "--remove-archive"]) == 0
    assert served.ranges == [None], "the verified archive is reused without a request"
    assert not (tmp_path / download.ARCHIVE_NAME).exists()
    assert len(open_gallery(tmp_path / download.ROOT_NAME, "all").items) == 6


def test_resume_after_interrupted_download(serve, tmp_path: Path) -> None:
    payload = build_archive()
    cut = len(payload) // 3
    source = ArchiveSource(serve(payload, drop_after=cut).url, md5_of(payload), None)
    target = tmp_path / download.ARCHIVE_NAME
    part = tmp_path / (download.ARCHIVE_NAME + download.PART_SUFFIX)

    with pytest.raises(DownloadError, match="resume from the"):
        download_archive(source, target, attempts=1)
    assert part.stat().st_size == cut

    resumed = serve(payload)
    assert _run(["--dest", str(tmp_path), "--url", resumed.url, "--md5", md5_of(payload)]) == 0
    assert resumed.ranges == [f"bytes={cut}-"]
    assert target.read_bytes() == payload
    assert not part.exists()


def test_dropped_connection_retried_with_range(serve, tmp_path: Path) -> None:
    payload = build_archive()
    cut = len(payload) // 2
    served = serve(payload, drop_after=cut)
    target = tmp_path / download.ARCHIVE_NAME

    download_archive(ArchiveSource(served.url, md5_of(payload), None), target, attempts=2)

    assert served.ranges == [None, f"bytes={cut}-"]
    assert target.read_bytes() == payload


def test_server_ignoring_range_restarts(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload, honor_range=False)
    target = tmp_path / download.ARCHIVE_NAME
    part = tmp_path / (download.ARCHIVE_NAME + download.PART_SUFFIX)
    # Bytes that would corrupt the archive if the server's full response were appended to them.
    part.write_bytes(b"x" * 100)

    download_archive(ArchiveSource(served.url, md5_of(payload), None), target)

    assert served.ranges == ["bytes=100-"]
    assert target.read_bytes() == payload


def test_complete_part_accepted_on_416(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload)
    target = tmp_path / download.ARCHIVE_NAME
    (tmp_path / (download.ARCHIVE_NAME + download.PART_SUFFIX)).write_bytes(payload)

    download_archive(ArchiveSource(served.url, md5_of(payload), None), target)

    assert served.ranges == [f"bytes={len(payload)}-"]
    assert target.read_bytes() == payload


def test_part_of_other_archive_discarded(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload)
    target = tmp_path / download.ARCHIVE_NAME
    (tmp_path / (download.ARCHIVE_NAME + download.PART_SUFFIX)).write_bytes(b"y" * 50)
    (tmp_path / (download.ARCHIVE_NAME + download.PART_INFO_SUFFIX)).write_text('{"md5": "0" }', encoding="utf-8")

    download_archive(ArchiveSource(served.url, md5_of(payload), None), target)

    assert served.ranges == [None]
    assert target.read_bytes() == payload


def test_md5_mismatch_extracts_nothing(serve, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = build_archive()
    served = serve(payload)
    wrong_md5 = "0" * 32

    assert _run(["--dest", str(tmp_path), "--url", served.url, "--md5", wrong_md5]) == 2

    message = capsys.readouterr().err
    assert "MD5" in message
    assert "nothing was extracted" in message
    assert not (tmp_path / download.ROOT_NAME).exists()
    assert not (tmp_path / download.ARCHIVE_NAME).exists()
    assert (tmp_path / (download.ARCHIVE_NAME + download.MISMATCH_SUFFIX)).read_bytes() == payload
    assert _leftovers(tmp_path) == []


def test_official_size_mismatch_rejected(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload)
    source = ArchiveSource(served.url, md5_of(payload), len(payload) + 1)

    with pytest.raises(DownloadError, match="reports"):
        download_archive(source, tmp_path / download.ARCHIVE_NAME)
    assert not (tmp_path / (download.ARCHIVE_NAME + download.PART_SUFFIX)).exists()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--url", "http://127.0.0.1:9/CUB_200_2011.tgz"], "needs --md5"),
        (["--md5", "0" * 32], "applies only to a mirror"),
        (["--url", "http://127.0.0.1:9/CUB_200_2011.tgz", "--md5", "not-hex"], "Invalid --md5"),
        (["--url", "ftp://127.0.0.1/CUB_200_2011.tgz", "--md5", "0" * 32], "Invalid --url"),
    ],
)
def test_invalid_source_options_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture, arguments: list[str], expected: str
) -> None:
    assert _run(["--dest", str(tmp_path), *arguments]) == 2
    assert expected in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_network_failure_names_url_and_fix(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as probe:  # A port that was free a moment ago: nothing listens there.
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    url = f"http://{LOOPBACK}:{port}/{download.ARCHIVE_NAME}"

    assert _run(["--dest", str(tmp_path), "--url", url, "--md5", "0" * 32]) == 2

    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert url in message
    assert "run the download again" in message
    assert list(tmp_path.iterdir()) == []


def test_stalled_server_times_out(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload, stall_s=2.0)

    with pytest.raises(DownloadError, match="timed out"):
        download_archive(
            ArchiveSource(served.url, md5_of(payload), None),
            tmp_path / download.ARCHIVE_NAME,
            timeout_s=0.3,
            attempts=1,
        )


def test_classes_keeps_consistent_metadata(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload)

    assert _run(["--dest", str(tmp_path), "--url", served.url, "--md5", md5_of(payload), "--classes", "2"]) == 0

    root = tmp_path / download.ROOT_NAME
    kept_ids = set(IMAGE_IDS_BY_CLASS[1] + IMAGE_IDS_BY_CLASS[2])
    assert _ids(root / "classes.txt") == {1, 2}
    for table in ("images.txt", "image_class_labels.txt", "train_test_split.txt", "bounding_boxes.txt"):
        assert _ids(root / table) == kept_ids, table
    assert _ids(root / "parts/part_locs.txt") == kept_ids
    assert len((root / "parts/part_locs.txt").read_text().splitlines()) == len(kept_ids) * PARTS_PER_IMAGE
    assert _ids(root / "attributes/image_attribute_labels.txt") == kept_ids
    rows = (root / "attributes/class_attribute_labels_continuous.txt").read_text().splitlines()
    assert [row.split()[0] for row in rows] == ["10.0", "20.0"]
    assert sorted(path.name for path in (root / "images").iterdir()) == list(CLASS_NAMES[:2])
    gallery = open_gallery(root, "all")
    assert {item.label for item in gallery.items} == {1, 2}
    assert len(gallery.items) == len(kept_ids)
    assert gallery.excluded == []


def test_classes_above_class_count_rejected(serve, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = build_archive()
    served = serve(payload)

    assert _run(["--dest", str(tmp_path), "--url", served.url, "--md5", md5_of(payload), "--classes", "4"]) == 2

    assert "Pass 1 to 3" in capsys.readouterr().err
    assert not (tmp_path / download.ROOT_NAME).exists()
    assert _leftovers(tmp_path) == []


def test_class_count_checked_before_download(serve, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = build_archive()
    served = serve(payload)

    with pytest.raises(SystemExit) as exit_info:
        _run(["--dest", str(tmp_path), "--url", served.url, "--md5", md5_of(payload), "--classes", "201"])
    with pytest.raises(DownloadError, match="from 1 to 200"):
        download.fetch_cub(tmp_path, ArchiveSource(served.url, md5_of(payload), None), classes=201)

    assert exit_info.value.code == 2
    assert "from 1 to 200" in capsys.readouterr().err
    assert served.ranges == []
    assert list(tmp_path.iterdir()) == []


def test_destination_file_rejected(serve, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = build_archive()
    served = serve(payload)
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file")

    assert _run(["--dest", str(not_a_folder), "--url", served.url, "--md5", md5_of(payload)]) == 2

    assert "is a file, not a folder" in capsys.readouterr().err
    assert served.ranges == []


def _member(name: str, kind: bytes, linkname: str = "") -> Callable[[tarfile.TarFile], None]:
    def add(handle: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        data = b"malicious\n" if kind == tarfile.REGTYPE else b""
        info.size = len(data)
        handle.addfile(info, io.BytesIO(data) if data else None)

    return add


@pytest.mark.parametrize("kind", ["parent", "absolute", "symlink", "hardlink", "device"])
def test_malicious_archive_rejected(serve, tmp_path: Path, capsys: pytest.CaptureFixture, kind: str) -> None:
    dest = tmp_path / "dest"
    outside = tmp_path / "outside"
    outside.mkdir()
    members = {
        "parent": _member("../evil.txt", tarfile.REGTYPE),
        "absolute": _member(str(outside / "absolute.txt"), tarfile.REGTYPE),
        "symlink": _member("CUB_200_2011/images/passwd", tarfile.SYMTYPE, "/etc/passwd"),
        "hardlink": _member("CUB_200_2011/images/passwd", tarfile.LNKTYPE, "/etc/passwd"),
        "device": _member("CUB_200_2011/null", tarfile.CHRTYPE),
    }
    payload = build_archive(members[kind])
    served = serve(payload)

    assert _run(["--dest", str(dest), "--url", served.url, "--md5", md5_of(payload)]) == 2

    assert "Nothing was installed" in capsys.readouterr().err
    assert not (tmp_path / "evil.txt").exists()
    assert list(outside.iterdir()) == []
    assert sorted(entry.name for entry in dest.iterdir()) == [download.ARCHIVE_NAME]
    assert not any(path.is_symlink() for path in tmp_path.rglob("*"))


def test_malicious_member_rejected_with_classes(serve, tmp_path: Path) -> None:
    payload = build_archive(_member("CUB_200_2011/images/003.Gamma_bird/../../../evil.txt", tarfile.REGTYPE))
    served = serve(payload)

    assert (
        _run(["--dest", str(tmp_path / "dest"), "--url", served.url, "--md5", md5_of(payload), "--classes", "1"]) == 2
    )

    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "dest" / download.ROOT_NAME).exists()
    assert os.listdir(tmp_path / "dest") == [download.ARCHIVE_NAME]


# --- the app's download button ----------------------------------------------------------------


class _RecordedProgress:
    """Stands in for gr.Progress and keeps every description the handler sent."""

    def __init__(self) -> None:
        self.descriptions: list[str] = []

    def __call__(self, progress: object, desc: str | None = None, **options: object) -> None:
        self.descriptions.append(desc or "")


def _download_handler(tmp_path: Path):
    from fgir.service import RetrievalService
    from fgir.ui import build_demo

    service = RetrievalService(cache_dir=tmp_path / "cache")
    demo = build_demo(service)
    handler = next(function.fn for function in demo.fns.values() if function.name == "on_download")
    return service, handler


def test_app_download_button_loads_gallery(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload)
    service, on_download = _download_handler(tmp_path)
    progress = _RecordedProgress()

    summary, *_ = on_download(str(tmp_path / "data"), 1, served.url, md5_of(payload), "all", "zh", progress)

    assert service.gallery is not None
    assert {item.class_name for item in service.gallery.items} == {CLASS_NAMES[0]}
    assert "已下载并加载" in summary
    assert any(description.startswith("正在下载 CUB-200-2011") for description in progress.descriptions)
    assert any(description.startswith("正在校验 MD5") for description in progress.descriptions)
    assert any(description.startswith("正在解压") for description in progress.descriptions)

    again, *_ = on_download(str(tmp_path / "data"), 1, served.url, md5_of(payload), "all", "en", progress)
    assert "already in place" in again
    assert served.ranges == [None]


def test_app_download_checksum_failure_in_chinese(serve, tmp_path: Path) -> None:
    payload = build_archive()
    served = serve(payload)
    service, on_download = _download_handler(tmp_path)

    summary, *_ = on_download(str(tmp_path / "data"), 0, served.url, "0" * 32, "auto", "zh", _RecordedProgress())

    assert service.gallery is None
    assert "**错误：**" in summary
    assert "没有解压任何内容" in summary
    assert not (tmp_path / "data" / download.ROOT_NAME).exists()


@pytest.mark.parametrize("classes", [-1, 2.5, 201])
def test_app_download_rejects_class_count(tmp_path: Path, classes: float) -> None:
    _, on_download = _download_handler(tmp_path)

    summary, *_ = on_download(str(tmp_path / "data"), classes, "", "", "auto", "en", _RecordedProgress())

    assert f"Invalid number of classes {classes}" in summary
    assert not (tmp_path / "data").exists()


def test_app_download_needs_class_count(tmp_path: Path) -> None:
    _, on_download = _download_handler(tmp_path)

    summary, *_ = on_download(str(tmp_path / "data"), None, "", "", "auto", "en", _RecordedProgress())

    assert "Enter the number of classes to keep" in summary
    assert not (tmp_path / "data").exists()
