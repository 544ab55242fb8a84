"""Adapters from fgir's progress callbacks to Gradio's progress bar, with translated descriptions."""

from __future__ import annotations

import time
from collections.abc import Callable

import gradio as gr

from fgir.download import STAGE_DOWNLOAD, STAGE_VERIFY
from fgir.ui.text import translate

BYTES_PER_MIB = 1 << 20
# Progress updates travel to the browser; one every quarter second keeps a 1 GB download smooth.
PROGRESS_INTERVAL_S = 0.25


def progress_callback(progress: gr.Progress, language: str) -> Callable[[int, int], None]:
    """Report indexing progress with a time estimate from the images done so far in this run."""
    started = time.perf_counter()
    first_done: list[int] = []  # Images already cached when this run started (a resumed run).

    def update(done: int, total: int) -> None:
        if not first_done:
            first_done.append(done)
        described = done - first_done[0]
        if first_done[0] == total:  # A cache hit: nothing is indexed in this run.
            progress((done, total), desc=translate(language, "progress_cached"), unit="images")
            return
        description = translate(language, "progress_indexing")
        if described > 0 and done < total:
            remaining = (time.perf_counter() - started) / described * (total - done)
            description = translate(language, "progress_eta", seconds=remaining)
        progress((done, total), desc=description, unit="images")

    return update


def download_progress(progress: gr.Progress, language: str) -> Callable[[str, int, int | None], None]:
    """Forward download, MD5 and extraction progress to the page, at most every ``PROGRESS_INTERVAL_S``."""
    last: dict[str, object] = {"time": 0.0, "stage": None}

    def update(stage: str, done: int, total: int | None) -> None:
        now = time.perf_counter()
        finished = total is not None and done >= total
        if now - last["time"] < PROGRESS_INTERVAL_S and not finished and stage == last["stage"]:
            return
        last.update(time=now, stage=stage)
        stage_text = translate(language, f"download_stage_{stage}")
        if stage in (STAGE_DOWNLOAD, STAGE_VERIFY) and total:
            description = translate(
                language, "download_progress_bytes", stage=stage_text, done=done / BYTES_PER_MIB, total=total / BYTES_PER_MIB
            )
            progress(done / total, desc=description)
        else:
            progress((done, total), desc=translate(language, "download_progress_count", stage=stage_text, done=done), unit="files")

    return update
