"""End to end: ``python -m fgir index`` and ``search`` in subprocesses on a gallery of real photos.

The gallery has three classes (chelsea, coffee, rocket from ``skimage.data``), four augmented JPEGs
each. The query is a crop of chelsea that is not in the gallery. Each subprocess spends about 4 s of
CPU importing torch, so they run two at a time, and the wmtl search waits for the index command.
For the same reason, the error cases call the CLI's ``main`` in this process, and only one of them
also runs as a subprocess.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from fgir.commands import main

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("chelsea", "coffee", "rocket")
QUERY_CLASS = "chelsea"
COMMAND_TIMEOUT_S = 300


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    width, height = image.size
    return image.crop((int(left * width), int(top * height), int(right * width), int(bottom * height)))


def _augmented(image: Image.Image) -> dict[str, Image.Image]:
    return {
        "full.jpg": image,
        "mirror.jpg": ImageOps.mirror(image),
        "top_left.jpg": _crop(image, 0.0, 0.0, 0.8, 0.8),
        "bottom_right_mirror.jpg": ImageOps.mirror(_crop(image, 0.2, 0.2, 1.0, 1.0)),
    }


def _run_cli(arguments: list[str], cache_dir: Path) -> subprocess.CompletedProcess:
    # One torch thread per command, because two commands share the cores.
    env = dict(os.environ, FGIR_CACHE_DIR=str(cache_dir), OMP_NUM_THREADS="1")
    env.pop("FGIR_ALLOW_RANDOM_WEIGHTS", None)
    return subprocess.run(
        [sys.executable, "-m", "fgir", *arguments],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


@dataclass
class Workspace:
    gallery: Path
    query: Path
    query_size: tuple[int, int]
    not_an_image: Path
    cache_dir: Path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, sample_photos: dict[str, Image.Image]) -> Workspace:
    root = tmp_path_factory.mktemp("cli")
    gallery = root / "gallery"
    for name in CLASSES:
        (gallery / name).mkdir(parents=True)
        for filename, image in _augmented(sample_photos[name]).items():
            image.save(gallery / name / filename, quality=90)

    query = root / "query.jpg"
    query_image = ImageOps.mirror(_crop(sample_photos[QUERY_CLASS], 0.15, 0.1, 0.85, 0.9))
    query_image.save(query, quality=90)
    not_an_image = root / "notes.jpg"
    not_an_image.write_text("not an image\n")
    return Workspace(gallery, query, query_image.size, not_an_image, root / "cache")


ERROR_CASES = {
    "unreadable-query": (["search", "--gallery", "{gallery}", "--query", "{not_an_image}"], "{not_an_image}"),
    "missing-gallery": (["search", "--gallery", "{gallery}/missing", "--query", "{query}"], "{gallery}/missing"),
    "top-k-zero": (["search", "--gallery", "{gallery}", "--query", "{query}", "--top-k", "0"], "--top-k 0"),
    "unknown-method": (["search", "--gallery", "{gallery}", "--query", "{query}", "--method", "nosuch"], "'nosuch'"),
    "split-on-folder": (["search", "--gallery", "{gallery}", "--query", "{query}", "--split", "test"], "'test'"),
}


def _fill(text: str, space: Workspace) -> str:
    return text.format(gallery=space.gallery, query=space.query, not_an_image=space.not_an_image)


@pytest.fixture(scope="module")
def runs(workspace: Workspace) -> dict[str, subprocess.CompletedProcess]:
    """Run the subprocesses once, keyed by "index", "wmtl" and "gap" (the searches) and "unreadable-query"."""
    space = workspace
    common = ["--gallery", str(space.gallery), "--cache-dir", str(space.cache_dir)]
    search = ["search", *common, "--query", str(space.query), "--top-k", "3", "--json"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = {"index": pool.submit(_run_cli, ["index", *common, "--method", "wmtl", "--json"], space.cache_dir)}
        pending["gap"] = pool.submit(_run_cli, [*search, "--method", "gap"], space.cache_dir)
        unreadable_query = [_fill(argument, space) for argument in ERROR_CASES["unreadable-query"][0]]
        pending["unreadable-query"] = pool.submit(_run_cli, unreadable_query, space.cache_dir)
        finished = {"index": pending.pop("index").result()}
        # Runs after the index command, so it must find the cache entry that command wrote.
        finished["wmtl"] = pool.submit(_run_cli, [*search, "--method", "wmtl"], space.cache_dir).result()
        finished.update({name: future.result() for name, future in pending.items()})
    return finished


def _json(run: subprocess.CompletedProcess) -> dict:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_index_summary(runs: dict[str, subprocess.CompletedProcess], workspace: Workspace) -> None:
    summary = _json(runs["index"])

    assert summary["images"] == 12
    assert summary["indexed"] == 12
    assert summary["skipped"] == []
    assert Path(summary["cache"]).parent == workspace.cache_dir
    assert (Path(summary["cache"]) / "manifest.json").is_file()


@pytest.mark.parametrize("method", ["wmtl", "gap"])
def test_search_ranked_json(runs: dict[str, subprocess.CompletedProcess], method: str) -> None:
    results = _json(runs[method])["results"]
    scores = [entry["score"] for entry in results]

    assert [entry["rank"] for entry in results] == [1, 2, 3]
    assert scores == sorted(scores, reverse=True)
    assert results[0]["class_name"] == QUERY_CLASS


def test_search_wmtl_boxes(runs: dict[str, subprocess.CompletedProcess], workspace: Workspace) -> None:
    payload = _json(runs["wmtl"])
    x0, y0, x1, y1 = payload["query_box"]
    width, height = workspace.query_size

    assert 0 <= x0 < x1 <= width
    assert 0 <= y0 < y1 <= height
    assert all(entry["box"] is not None for entry in payload["results"])


def test_search_gap_no_boxes(runs: dict[str, subprocess.CompletedProcess]) -> None:
    payload = _json(runs["gap"])

    assert payload["query_box"] is None
    assert [entry["box"] for entry in payload["results"]] == [None, None, None]


def test_search_reuses_index_cache(runs: dict[str, subprocess.CompletedProcess], workspace: Workspace) -> None:
    # One entry per method: the wmtl search found the index command's entry instead of writing its own.
    assert runs["wmtl"].returncode == 0
    names = sorted(path.name for path in workspace.cache_dir.iterdir())

    assert len([name for name in names if name.startswith("wmtl-")]) == 1
    assert len([name for name in names if name.startswith("gap-")]) == 1
    assert [name for name in names if name.startswith(".")] == []  # no staging or partial folders left


def test_search_reports_weights(runs: dict[str, subprocess.CompletedProcess]) -> None:
    payload = _json(runs["wmtl"])

    assert payload["backbone"] == "mobilenet_v2"
    assert payload["random_weights"] is False


def test_cli_process_error_one_line(runs: dict[str, subprocess.CompletedProcess], workspace: Workspace) -> None:
    run = runs["unreadable-query"]
    lines = run.stderr.strip().splitlines()

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert len(lines) == 1, run.stderr
    assert str(workspace.not_an_image) in lines[0]
    assert run.stdout == ""


def _exit_code(arguments: list[str]) -> int | str | None:
    """Run the CLI's ``main`` as ``python -m fgir`` would. Any exception other than SystemExit escapes."""
    try:
        return main(arguments)
    except SystemExit as exit_request:  # argparse exits on invalid arguments.
        return exit_request.code


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_cli_error_one_line(
    workspace: Workspace, case: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    arguments, expected_text = ERROR_CASES[case]

    code = _exit_code([_fill(argument, workspace) for argument in arguments])

    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code not in (0, None)
    assert len(lines) == 1, captured.err
    assert _fill(expected_text, workspace) in lines[0]
    assert captured.out == ""
    # Under pytest, log records are captured instead of printed. In a real run they would add stderr lines.
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
