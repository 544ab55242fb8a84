"""Gradio layout and event wiring. Logic lives in the service; handlers only translate.

Every visible string comes from :mod:`fgir.ui.text`. The language radio relabels the widgets,
and handlers take the current language as an input so their messages match it.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Callable

import gradio as gr

from fgir.backbones import BACKBONES
from fgir.download import ROOT_NAME, STAGE_DOWNLOAD, STAGE_VERIFY, ProgressReport, archive_source, fetch_cub
from fgir.errors import FgirError
from fgir.gallery import is_cub_root
from fgir.hashing.checkpoint import list_checkpoints
from fgir.methods import METHODS
from fgir.service import QueryViews, RetrievalService
from fgir.ui.components import QueryImage
from fgir.ui.text import DEFAULT_LANGUAGE, LANGUAGES, backbone_name, language_from_header, method_name, translate
from fgir.walkthrough import render_handout

logger = logging.getLogger(__name__)

DEFAULT_TOP_K = 10
MAX_TOP_K = 50
RESULT_COLUMNS = 5
COMPARE_COLUMNS = 5
COMPARE_TOP_K = 5
STEP_COUNT = 7
DEFAULT_DOWNLOAD_FOLDER = "data"
DEFAULT_DOWNLOAD_CLASSES = 10
CUB_CLASS_COUNT = 200
BYTES_PER_MIB = 1 << 20
# Progress updates travel to the browser; one every quarter second keeps a 1 GB download smooth.
PROGRESS_INTERVAL_S = 0.25
STEP_HEIGHT = 260
CLASSROOM_RESULT_COLUMNS = 3
CLASSROOM_STEP_HEIGHT = 380
# Classroom mode: text readable from the back of a lecture hall.
CLASSROOM_CSS = """
.gradio-container {
  --text-xs: 15px; --text-sm: 18px; --text-md: 21px; --text-lg: 24px; --text-xl: 28px; --text-xxl: 34px;
  --prose-text-size: 21px; --block-label-text-size: 18px; --block-title-text-size: 20px;
  --block-info-text-size: 16px; --input-text-size: 20px; --button-large-text-size: 22px;
  --section-header-text-size: 20px; --checkbox-label-text-size: 19px;
}
.gradio-container .prose { font-size: 21px !important; }
"""


def gallery_summary(service: RetrievalService, language: str) -> str:
    gallery = service.gallery
    if gallery is None:
        return translate(language, "no_gallery")
    return translate(
        language,
        "gallery_summary",
        root=gallery.image_root,
        kind=gallery.kind,
        split=gallery.split,
        images=len(gallery.items),
        classes=len(gallery.class_names()),
        cache=service.cache.root,
    )


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


def method_note(method_id: str, language: str) -> str:
    cls = METHODS[method_id]
    note = translate(language, "method_note", name=method_name(language, method_id), method=method_id)
    if cls.slow:
        note += translate(language, "method_slow")
    return note


def error_text(language: str, message: str | FgirError) -> str:
    """Format an error for the status box; an FgirError is shown in ``language``."""
    if isinstance(message, FgirError):
        message = message.localized(language)
    return translate(language, "error", message=message)


def method_choices(language: str, slow: bool = True) -> list[tuple[str, str]]:
    """Return (label, id) pairs of the registered methods; ``slow=False`` leaves out the slow ones."""
    return [
        (f"{method_name(language, method_id)} ({method_id})", method_id)
        for method_id, cls in sorted(METHODS.items())
        if slow or not cls.slow
    ]


def backbone_choices(language: str) -> list[tuple[str, str]]:
    return [(backbone_name(language, backbone_id), backbone_id) for backbone_id in BACKBONES]


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


def parse_class_count(value: float | str | None, language: str) -> int | None:
    """Return the number of classes to keep, or None for all; raise ValueError with a translated message."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer() or not 0 <= number <= CUB_CLASS_COUNT:
        raise ValueError(translate(language, "invalid_class_count", value=value))
    return int(number) or None


def _status(views: QueryViews, language: str) -> str:
    return "\n\n".join(translate(language, key, **params) for key, params in views.notes)


def _empty_outputs(message: str) -> tuple:
    return [], None, None, None, None, message, {}


def _outputs(views: QueryViews, language: str) -> tuple:
    return views.results, views.query, views.spatial, views.channel_plot, views.saliency, _status(views, language), views.payload


def _example_samples(service: RetrievalService, classroom: bool = False) -> list[list[str]]:
    paths = service.classroom_queries() if classroom else []
    return [[str(path)] for path in (paths or service.example_queries())]


class _Labels:
    """Widgets whose label, value or placeholder depends on the language, with their text keys."""

    def __init__(self) -> None:
        self.entries: list[tuple[gr.components.Component, str, str | Callable[[str], object]]] = []  # (widget, property, key)

    def add(self, widget, key: str | Callable[[str], object], prop: str = "label"):
        """Register a translated property: a text key, or a function of the language (e.g. for choices)."""
        self.entries.append((widget, prop, key))
        return widget

    def widgets(self) -> list:
        """Return each widget once, in the order it was first added."""
        return list(dict.fromkeys(widget for widget, _, _ in self.entries))

    def updates(self, language: str) -> list:
        """Build one update per widget, in ``widgets()`` order, that sets every translated property."""
        properties: dict[int, dict[str, object]] = {}
        for widget, prop, key in self.entries:
            properties.setdefault(id(widget), {})[prop] = key(language) if callable(key) else translate(language, key)
        return [type(widget)(**properties[id(widget)]) for widget in self.widgets()]


def build_demo(
    service: RetrievalService,
    default_method: str = "wmtl",
    default_backbone: str = "mobilenet_v2",
    language: str | None = None,
    classroom: bool = False,
    index_on_load: bool = False,
) -> gr.Blocks:
    """Build the app's Blocks over a service that may or may not have a gallery yet.

    ``language`` fixes the initial language; None follows the browser's Accept-Language header.
    ``index_on_load`` indexes the gallery for the default method and backbone when a page opens,
    with a progress bar, so a fresh Space shows its progress instead of a blank page.
    ``classroom`` enlarges thumbnails, opens on the step-by-step view and uses the curated
    teaching examples when the gallery contains them (fonts grow through ``CLASSROOM_CSS``).
    """
    result_columns = CLASSROOM_RESULT_COLUMNS if classroom else RESULT_COLUMNS
    step_height = CLASSROOM_STEP_HEIGHT if classroom else STEP_HEIGHT
    initial_language = language or DEFAULT_LANGUAGE
    labels = _Labels()

    def t(key: str) -> str:
        return translate(initial_language, key)

    with gr.Blocks(title=t("title")) as demo:
        with gr.Row():
            labels.add(gr.Markdown(t("intro")), "intro", "value")
            language_choice = gr.Radio(
                [(name, code) for code, name in LANGUAGES.items()], value=initial_language, label=t("language"), scale=0, min_width=180
            )
        labels.add(language_choice, "language")
        summary = gr.Markdown(gallery_summary(service, initial_language))

        with gr.Tabs(selected="steps" if classroom else "search"):
            with gr.Tab(t("tab_search"), id="search") as search_tab:
                with gr.Row():
                    with gr.Column(scale=1):
                        query = labels.add(QueryImage(type="filepath", label=t("query_image"), sources=["upload", "clipboard"], height=320), "query_image")
                        method = labels.add(gr.Dropdown(method_choices(initial_language), value=default_method, label=t("method")), "method")
                        labels.add(method, method_choices, "choices")
                        method_info = gr.Markdown(method_note(default_method, initial_language))
                        backbone = labels.add(gr.Dropdown(backbone_choices(initial_language), value=default_backbone, label=t("backbone")), "backbone")
                        labels.add(backbone, backbone_choices, "choices")
                        summaries = list_checkpoints()
                        checkpoint_choices = [(summary.label, str(summary.path)) for summary in summaries]
                        if service.hash_checkpoint is None and summaries:
                            # Default to the longest wlrh code with local regions, the method's full form.
                            preferred = max(summaries, key=lambda item: (item.model != "itq", item.regions != "global", item.bits))
                            service.set_hash_checkpoint(preferred.path)
                        checkpoint = labels.add(
                            gr.Dropdown(
                                checkpoint_choices,
                                value=str(service.hash_checkpoint) if service.hash_checkpoint else None,
                                label=t("hash_checkpoint"),
                                info=t("hash_checkpoint_info"),
                                allow_custom_value=True,
                            ),
                            "hash_checkpoint",
                        )
                        labels.add(checkpoint, "hash_checkpoint_info", "info")
                        top_k = labels.add(gr.Slider(1, MAX_TOP_K, value=DEFAULT_TOP_K, step=1, label=t("top_k")), "top_k")
                        with gr.Row():
                            search_button = labels.add(gr.Button(t("search"), variant="primary"), "search", "value")
                            explain_button = labels.add(gr.Button(t("explain_only")), "explain_only", "value")
                        examples = gr.Examples(examples=_example_samples(service, classroom) or [[None]], inputs=[query], label=t("examples"))
                        labels.add(examples.dataset, "examples")
                    with gr.Column(scale=2):
                        results = labels.add(
                            gr.Gallery(label=t("ranked_results"), columns=result_columns, height=520 if not classroom else 760, object_fit="contain"),
                            "ranked_results",
                        )
                        status = gr.Markdown()
                with gr.Row():
                    query_view = labels.add(gr.Image(label=t("query_view"), interactive=False), "query_view")
                    spatial_view = labels.add(gr.Image(label=t("spatial_view"), interactive=False), "spatial_view")
                    channel_view = labels.add(gr.Image(label=t("channel_view"), interactive=False), "channel_view")
                    saliency_view = labels.add(gr.Image(label=t("saliency_view"), interactive=False), "saliency_view")
                with gr.Accordion(t("match_accordion"), open=True) as match_accordion:
                    match_caption = labels.add(gr.Markdown(t("match_hint")), "match_hint", "value")
                    with gr.Row():
                        match_query_view = labels.add(gr.Image(label=t("match_query"), interactive=False), "match_query")
                        match_result_view = labels.add(gr.Image(label=t("match_result"), interactive=False), "match_result")
                labels.add(match_accordion, "match_accordion")
                with gr.Accordion(t("json_accordion"), open=False) as json_accordion:
                    payload = labels.add(gr.JSON(label=t("json_label")), "json_label")
                labels.add(json_accordion, "json_accordion")
            labels.add(search_tab, "tab_search")

            with gr.Tab(t("tab_compare"), id="compare") as compare_tab:
                labels.add(gr.Markdown(t("compare_intro")), "compare_intro", "value")
                with gr.Row():
                    with gr.Column(scale=1):
                        compare_query = labels.add(
                            QueryImage(type="filepath", label=t("query_image"), sources=["upload", "clipboard"], height=260), "query_image"
                        )
                        compare_methods = labels.add(
                            gr.CheckboxGroup(
                                method_choices(initial_language, slow=False),
                                value=[method_id for method_id in ("gap", "wmtl") if method_id in METHODS],
                                label=t("methods"),
                            ),
                            "methods",
                        )
                        labels.add(compare_methods, lambda language: method_choices(language, slow=False), "choices")
                        compare_backbone = labels.add(gr.Dropdown(backbone_choices(initial_language), value=default_backbone, label=t("backbone")), "backbone")
                        labels.add(compare_backbone, backbone_choices, "choices")
                        compare_button = labels.add(gr.Button(t("compare"), variant="primary"), "compare", "value")
                        compare_examples = gr.Examples(
                            examples=_example_samples(service, classroom) or [[None]], inputs=[compare_query], label=t("examples")
                        )
                        labels.add(compare_examples.dataset, "examples")
                    with gr.Column(scale=3):
                        compare_status = gr.Markdown()
                        compare_rows = []
                        for method_id in sorted(METHODS):
                            with gr.Column(visible=False) as row:
                                heading = gr.Markdown(f"**{method_id}**")
                                thumbnails = gr.Gallery(columns=COMPARE_COLUMNS, height=200, show_label=False, object_fit="contain")
                            compare_rows.append((method_id, row, heading, thumbnails))
            labels.add(compare_tab, "tab_compare")

            with gr.Tab(t("tab_steps"), id="steps") as steps_tab:
                labels.add(gr.Markdown(t("steps_intro")), "steps_intro", "value")
                with gr.Row():
                    with gr.Column(scale=1):
                        steps_query = labels.add(
                            QueryImage(type="filepath", label=t("query_image"), sources=["upload", "clipboard"], height=260), "query_image"
                        )
                        steps_backbone = labels.add(gr.Dropdown(backbone_choices(initial_language), value=default_backbone, label=t("backbone")), "backbone")
                        labels.add(steps_backbone, backbone_choices, "choices")
                        steps_button = labels.add(gr.Button(t("run_steps"), variant="primary"), "run_steps", "value")
                        handout_button = labels.add(gr.Button(t("export_handout")), "export_handout", "value")
                        handout_files = labels.add(gr.File(label=t("handout_files"), file_count="multiple", interactive=False), "handout_files")
                        steps_examples = gr.Examples(
                            examples=_example_samples(service, classroom) or [[None]], inputs=[steps_query], label=t("examples")
                        )
                        labels.add(steps_examples.dataset, "examples")
                    with gr.Column(scale=3):
                        steps_status = gr.Markdown()
                        step_views = []
                        for _ in range(STEP_COUNT):
                            with gr.Row(visible=False) as step_row:
                                step_image = gr.Image(show_label=False, interactive=False, height=step_height, scale=2)
                                step_text = gr.Markdown()
                            step_views.append((step_row, step_image, step_text))
                steps_state = gr.State([])
            labels.add(steps_tab, "tab_steps")

            with gr.Tab(t("tab_gallery"), id="gallery") as gallery_tab:
                labels.add(gr.Markdown(t("gallery_intro")), "gallery_intro", "value")
                folder = labels.add(gr.Textbox(label=t("gallery_folder"), placeholder=t("gallery_folder_placeholder")), "gallery_folder")
                labels.add(folder, "gallery_folder_placeholder", "placeholder")
                with gr.Row():
                    split = labels.add(gr.Dropdown(["auto", "train", "test", "all"], value="auto", label=t("split")), "split")
                    classes = labels.add(gr.Textbox(label=t("class_range"), placeholder=t("class_range_placeholder")), "class_range")
                    labels.add(classes, "class_range_placeholder", "placeholder")
                load_button = labels.add(gr.Button(t("load_folder")), "load_folder", "value")
                archive = labels.add(gr.File(label=t("upload_zip"), file_types=[".zip"], type="filepath"), "upload_zip")
                index_button = labels.add(gr.Button(t("index_now")), "index_now", "value")
                with gr.Accordion(t("download_accordion"), open=service.gallery is None) as download_accordion:
                    labels.add(gr.Markdown(t("download_intro")), "download_intro", "value")
                    with gr.Row():
                        download_dest = labels.add(gr.Textbox(value=DEFAULT_DOWNLOAD_FOLDER, label=t("download_dest")), "download_dest")
                        download_classes = labels.add(
                            gr.Number(value=DEFAULT_DOWNLOAD_CLASSES, minimum=0, maximum=CUB_CLASS_COUNT, precision=0, label=t("download_classes")),
                            "download_classes",
                        )
                    with gr.Row():
                        download_url = labels.add(gr.Textbox(label=t("download_url")), "download_url")
                        download_md5 = labels.add(gr.Textbox(label=t("download_md5")), "download_md5")
                    download_button = labels.add(gr.Button(t("download_button")), "download_button", "value")
                labels.add(download_accordion, "download_accordion")
            labels.add(gallery_tab, "tab_gallery")

        # --- handlers -----------------------------------------------------------------------
        def on_search(image, method_id, backbone_id, k, language, progress=gr.Progress()) -> tuple:
            if not image:
                return _empty_outputs(error_text(language, translate(language, "need_query")))
            try:
                views = service.search(image, method_id, backbone_id, int(k), progress_callback(progress, language))
                return _outputs(views, language)
            except FgirError as error:
                logger.warning("Search failed for %s with %s/%s: %s", image, method_id, backbone_id, error)
                return _empty_outputs(error_text(language, error))
            except Exception as error:  # The UI must stay up; the traceback goes to the log.
                logger.exception("Unexpected error while searching %s", image)
                return _empty_outputs(error_text(language, f"{type(error).__name__}: {error}"))

        def on_explain(image, method_id, backbone_id, language) -> tuple:
            if not image:
                return _empty_outputs(error_text(language, translate(language, "need_image")))
            try:
                return _outputs(service.explain(image, method_id, backbone_id), language)
            except FgirError as error:
                logger.warning("Explanation failed for %s with %s/%s: %s", image, method_id, backbone_id, error)
                return _empty_outputs(error_text(language, error))
            except Exception as error:
                logger.exception("Unexpected error while explaining %s", image)
                return _empty_outputs(error_text(language, f"{type(error).__name__}: {error}"))

        def api_search(image: str | None, method_id: str, backbone_id: str, k: float) -> dict:
            if not image:
                raise gr.Error("Missing image: pass a file with gradio_client.handle_file(PATH).")
            try:
                return service.search(image, method_id, backbone_id, int(k)).payload
            except FgirError as error:
                raise gr.Error(str(error)) from error

        def on_select_result(event: gr.SelectData, image, method_id, backbone_id, current_payload, language) -> tuple:
            entries = (current_payload or {}).get("results", [])
            if not image or event.index is None or event.index >= len(entries):
                return None, None, translate(language, "match_hint")
            entry = entries[event.index]
            try:
                query_map, result_map = service.explain_match(image, entry["image_path"], method_id, backbone_id)
            except FgirError as error:
                logger.warning("Match explanation failed for %s: %s", entry.get("image_path"), error)
                return None, None, error_text(language, error)
            caption = translate(language, "match_caption", rank=entry["rank"], class_name=entry["class_name"], score=entry["score"])
            return query_map, result_map, caption

        def on_compare(image, method_ids, backbone_id, language, progress=gr.Progress()) -> list:
            comparisons = {}
            if not image or not method_ids:
                message = error_text(language, translate(language, "need_query_and_methods"))
            else:
                try:
                    found = service.compare(image, method_ids, backbone_id, COMPARE_TOP_K, progress_callback(progress, language))
                    comparisons = {comparison.method_id: comparison for comparison in found}
                    message = ""
                except FgirError as error:
                    logger.warning("Comparison failed for %s: %s", image, error)
                    message = error_text(language, error)
            updates: list = [message]
            for method_id, _, _, _ in compare_rows:
                comparison = comparisons.get(method_id)
                if comparison is None:
                    updates += [gr.Column(visible=False), "", []]
                    continue
                heading = f"**{method_name(language, method_id)}** (`{method_id}`)"
                if comparison.precision is not None:
                    heading += " · " + translate(language, "precision", k=len(comparison.results), value=comparison.precision)
                if comparison.error:
                    heading += " · " + error_text(language, comparison.error)
                updates += [gr.Column(visible=True), heading, comparison.results]
            return updates

        def refreshed_gallery(language: str, message: str | None = None) -> tuple:
            samples = _example_samples(service)
            # An error or notice goes below the summary, so the loaded gallery stays in view.
            text = gallery_summary(service, language) + (f"\n\n{message}" if message else "")
            return text, gr.Dataset(samples=samples), gr.Dataset(samples=samples), gr.Dataset(samples=samples)

        def on_load_folder(path: str, split_choice: str, class_range: str, language: str) -> tuple:
            try:
                service.set_gallery(Path((path or "").strip()), None if split_choice == "auto" else split_choice, class_range or None)
            except FgirError as error:
                logger.warning("Loading gallery %r failed: %s", path, error)
                return refreshed_gallery(language, error_text(language, error))
            return refreshed_gallery(language)

        def on_upload_zip(file: str | None, language: str) -> tuple:
            if not file:
                return refreshed_gallery(language)
            try:
                service.set_gallery_from_zip(file)
            except FgirError as error:
                logger.warning("Loading uploaded gallery %s failed: %s", file, error)
                return refreshed_gallery(language, error_text(language, error))
            return refreshed_gallery(language)

        def on_download(
            destination: str, class_count, url: str, md5: str, split_choice: str, language: str, progress=gr.Progress()
        ) -> tuple:
            try:
                classes = parse_class_count(class_count, language)
            except ValueError as error:
                return refreshed_gallery(language, error_text(language, str(error)))
            folder = Path((destination or DEFAULT_DOWNLOAD_FOLDER).strip()).expanduser()
            root = folder.resolve() / ROOT_NAME
            try:
                source = archive_source((url or "").strip() or None, (md5 or "").strip() or None)
                if is_cub_root(root):
                    notice = translate(language, "download_reused", root=root)
                else:
                    report = ProgressReport(show_bars=False, callback=download_progress(progress, language))
                    root = fetch_cub(folder, source, classes, progress=report)
                    notice = translate(language, "download_done", root=root)
                service.set_gallery(root, None if split_choice == "auto" else split_choice, None)
            except FgirError as error:
                logger.warning("Downloading CUB-200-2011 into %s failed: %s", folder, error)
                return refreshed_gallery(language, error_text(language, error))
            return refreshed_gallery(language, notice)

        def on_index(method_id: str, backbone_id: str, language: str, progress=gr.Progress()) -> str:
            try:
                retriever = service.prepare(method_id, backbone_id, progress_callback(progress, language))
            except FgirError as error:
                logger.warning("Indexing with %s/%s failed: %s", method_id, backbone_id, error)
                return error_text(language, error)
            count = len(retriever.embeddings.descriptors)
            indexed = translate(language, "indexed", count=count, method=method_id, backbone=backbone_id)
            return f"{gallery_summary(service, language)}\n\n{indexed}"

        def on_steps(image, backbone_id, language) -> list:
            if not image:
                return [error_text(language, translate(language, "need_query")), []] + [
                    update for _ in step_views for update in (gr.Row(visible=False), None, "")
                ]
            try:
                steps = service.walkthrough(image, backbone_id)
            except FgirError as error:
                logger.warning("Walkthrough failed for %s: %s", image, error)
                return [error_text(language, error), []] + [update for _ in step_views for update in (gr.Row(visible=False), None, "")]
            updates: list = ["", steps]
            for index, (_, _, _) in enumerate(step_views):
                if index < len(steps):
                    step = steps[index]
                    text = f"### {translate(language, step.key)}\n{translate(language, step.key + '_caption', **step.params)}"
                    updates += [gr.Row(visible=True), step.image, text]
                else:
                    updates += [gr.Row(visible=False), None, ""]
            return updates

        def on_handout(steps, language) -> tuple:
            if not steps:
                return error_text(language, translate(language, "need_query")), None
            folder = Path(tempfile.mkdtemp(prefix="fgir-handout-"))
            titles = [translate(language, step.key) for step in steps]
            captions = [translate(language, step.key + "_caption", **step.params) for step in steps]
            png_path, pdf_path = folder / "fgir-handout.png", folder / "fgir-handout.pdf"
            render_handout(steps, titles, captions, png_path, pdf_path)
            return "", [str(png_path), str(pdf_path)]

        def on_language(language: str, method_id: str) -> list:
            return [*labels.updates(language), gallery_summary(service, language), method_note(method_id, language)]

        def on_page_load(request: gr.Request) -> str:
            if language is not None:
                return language
            return language_from_header(request.headers.get("accept-language") if request else None)

        # --- wiring ---------------------------------------------------------------------------
        view_outputs = [results, query_view, spatial_view, channel_view, saliency_view, status, payload]
        example_datasets = [examples.dataset, compare_examples.dataset, steps_examples.dataset]
        private = {"api_visibility": "private"}
        search_button.click(on_search, [query, method, backbone, top_k, language_choice], view_outputs, **private)
        explain_button.click(on_explain, [query, method, backbone, language_choice], view_outputs, api_name="explain")
        results.select(
            on_select_result,
            [query, method, backbone, payload, language_choice],
            [match_query_view, match_result_view, match_caption],
            **private,
        )
        compare_outputs = [compare_status] + [widget for _, row, heading, gallery in compare_rows for widget in (row, heading, gallery)]
        compare_button.click(on_compare, [compare_query, compare_methods, compare_backbone, language_choice], compare_outputs, **private)
        step_outputs = [steps_status, steps_state] + [widget for row, image, text in step_views for widget in (row, image, text)]
        steps_button.click(on_steps, [steps_query, steps_backbone, language_choice], step_outputs, **private)
        handout_button.click(on_handout, [steps_state, language_choice], [steps_status, handout_files], **private)
        checkpoint.change(service.set_hash_checkpoint, [checkpoint], None, **private)
        method.change(method_note, [method, language_choice], [method_info], **private)
        load_button.click(on_load_folder, [folder, split, classes, language_choice], [summary, *example_datasets], **private)
        archive.upload(on_upload_zip, [archive, language_choice], [summary, *example_datasets], **private)
        index_button.click(on_index, [method, backbone, language_choice], [summary], **private)
        download_button.click(
            on_download,
            [download_dest, download_classes, download_url, download_md5, split, language_choice],
            [summary, *example_datasets],
            **private,
        )
        language_choice.change(
            on_language, [language_choice, method], labels.widgets() + [summary, method_info], **private
        )
        demo.load(on_page_load, None, [language_choice], **private)
        # Gradio's example click re-sends the input's constructor props, English label included,
        # so the label is translated again right after it.
        for example_set, query_input in ((examples, query), (compare_examples, compare_query), (steps_examples, steps_query)):
            example_set.load_input_event.then(
                lambda language: QueryImage(label=translate(language, "query_image")),
                [language_choice],
                [query_input],
                queue=False,
                show_progress="hidden",
                **private,
            )
        if index_on_load and service.gallery is not None:

            # The language comes from the request, because this runs alongside on_page_load,
            # before the language radio holds the browser's language.
            def on_open_index(request: gr.Request, progress=gr.Progress()) -> str:
                return on_index(default_method, default_backbone, on_page_load(request), progress)

            demo.load(on_open_index, None, [summary], **private)

        # A JSON-only endpoint for scripts: gradio_client's Client.predict(..., api_name="/search").
        # The image arrives as a plain file so that fgir's loader, not gr.Image, judges it and
        # a bad file gets fgir's one-line message naming the file and the fix.
        api_image = gr.File(visible=False, type="filepath")
        api_result = gr.JSON(visible=False)
        api_trigger = gr.Button(visible=False)
        api_trigger.click(api_search, [api_image, method, backbone, top_k], [api_result], api_name="search")
    return demo
