"""Gradio layout and event wiring. Logic lives in the service; handlers only translate.

Every visible string comes from :mod:`fgir.ui.text`. The language radio relabels the widgets,
and handlers take the current language as an input so their messages match it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Callable

import gradio as gr

from fgir.download import CUB_CLASS_COUNT, ROOT_NAME, ProgressReport, archive_source, fetch_cub
from fgir.errors import FgirError
from fgir.gallery import is_cub_root
from fgir.hashing.checkpoint import list_checkpoints
from fgir.methods import METHODS
from fgir.service import QueryViews, RetrievalService
from fgir.ui.choices import backbone_choices, checkpoint_choices, method_choices, split_choices
from fgir.ui.components import QueryImage
from fgir.ui.notes import HEADING_SEPARATOR, Note, UiText, error_note, render_notes
from fgir.ui.progress import download_progress, progress_callback
from fgir.ui.text import DEFAULT_LANGUAGE, LANGUAGES, language_from_header, method_name, translate
from fgir.walkthrough import Step, render_handout

logger = logging.getLogger(__name__)

DEFAULT_TOP_K = 10
MAX_TOP_K = 50
RESULT_COLUMNS = 5
COMPARE_COLUMNS = 5
COMPARE_TOP_K = 5
STEP_COUNT = 7
DEFAULT_DOWNLOAD_FOLDER = "data"
DEFAULT_DOWNLOAD_CLASSES = 10
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


def gallery_notes(service: RetrievalService) -> list[Note]:
    """Return the notes that describe the loaded gallery, or the note that none is loaded."""
    gallery = service.gallery
    if gallery is None:
        return [("no_gallery", {})]
    params = {
        "root": gallery.image_root,
        "kind": gallery.kind,
        "split": UiText(f"split_{gallery.split}"),
        "images": len(gallery.items),
        "classes": len(gallery.class_names()),
        "cache": service.cache.root,
    }
    return [("gallery_summary", params)]


def gallery_summary(service: RetrievalService, language: str) -> str:
    return render_notes(language, gallery_notes(service))


def method_note(method_id: str, language: str) -> str:
    cls = METHODS[method_id]
    note = translate(language, "method_note", name=method_name(language, method_id), method=method_id)
    if cls.slow:
        note += translate(language, "method_slow")
    return note


def parse_class_count(value: float | str | None) -> int | None:
    """Return the number of classes to keep, or None for 0 (all classes). Raise ValueError for other values.

    An empty field is invalid rather than "all", so that clearing it never starts the 1.1 GB download.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer() or not 0 <= number <= CUB_CLASS_COUNT:
        raise ValueError(value)
    return int(number) or None


def step_text(language: str, step: Step) -> str:
    return f"### {translate(language, step.key)}\n{translate(language, step.key + '_caption', **step.params)}"


def _empty_outputs(language: str, notes: list[Note]) -> tuple:
    return [], None, None, None, None, render_notes(language, notes), {}, notes


def _outputs(views: QueryViews, language: str) -> tuple:
    return (
        views.results,
        views.query,
        views.spatial,
        views.channel_plot,
        views.saliency,
        render_notes(language, views.notes),
        views.payload,
        views.notes,
    )


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

    # Widgets that the search, compare and step-by-step tabs each have once.
    def query_input(height: int) -> QueryImage:
        image = QueryImage(type="filepath", label=t("query_image"), sources=["upload", "clipboard"], height=height)
        return labels.add(image, "query_image")

    def backbone_input() -> gr.Dropdown:
        dropdown = gr.Dropdown(backbone_choices(initial_language), value=default_backbone, label=t("backbone"))
        labels.add(dropdown, "backbone")
        return labels.add(dropdown, backbone_choices, "choices")

    def example_queries(query: QueryImage, language_choice: gr.Radio) -> gr.Examples:
        examples = gr.Examples(examples=_example_samples(service, classroom) or [[None]], inputs=[query], label=t("examples"))
        labels.add(examples.dataset, "examples")
        # Gradio's example click re-sends the input's constructor props, English label included,
        # so the label is translated again right after it.
        examples.load_input_event.then(
            lambda language: QueryImage(label=translate(language, "query_image")),
            [language_choice],
            [query],
            queue=False,
            show_progress="hidden",
            api_visibility="private",
        )
        return examples

    with gr.Blocks(title=t("title")) as demo:
        with gr.Row():
            labels.add(gr.Markdown(t("intro")), "intro", "value")
            language_choice = gr.Radio(
                [(name, code) for code, name in LANGUAGES.items()], value=initial_language, label=t("language"), scale=0, min_width=180
            )
        labels.add(language_choice, "language")
        summary = gr.Markdown(gallery_summary(service, initial_language))
        # Notes behind the language-dependent status texts, so a language switch can render them again.
        summary_notes = gr.State([])  # notices and errors below the gallery summary
        status_notes = gr.State([])
        match_notes = gr.State([("match_hint", {})])
        compare_notes = gr.State({"status": [], "headings": {}})
        steps_notes = gr.State([])

        with gr.Tabs(selected="steps" if classroom else "search"):
            with gr.Tab(t("tab_search"), id="search") as search_tab:
                with gr.Row():
                    with gr.Column(scale=1):
                        query = query_input(320)
                        method = labels.add(gr.Dropdown(method_choices(initial_language), value=default_method, label=t("method")), "method")
                        labels.add(method, method_choices, "choices")
                        method_info = gr.Markdown(method_note(default_method, initial_language))
                        backbone = backbone_input()
                        summaries = list_checkpoints()
                        if service.hash_checkpoint is None and summaries:
                            # Default to the longest wlrh code with local regions, the method's full form.
                            preferred = max(summaries, key=lambda item: (item.model != "itq", item.regions != "global", item.bits))
                            service.set_hash_checkpoint(preferred.path)
                        checkpoint = labels.add(
                            gr.Dropdown(
                                checkpoint_choices(initial_language, summaries),
                                value=str(service.hash_checkpoint) if service.hash_checkpoint else None,
                                label=t("hash_checkpoint"),
                                info=t("hash_checkpoint_info"),
                                allow_custom_value=True,
                            ),
                            "hash_checkpoint",
                        )
                        labels.add(checkpoint, "hash_checkpoint_info", "info")
                        labels.add(checkpoint, lambda language: checkpoint_choices(language, summaries), "choices")
                        top_k = labels.add(gr.Slider(1, MAX_TOP_K, value=DEFAULT_TOP_K, step=1, label=t("top_k")), "top_k")
                        with gr.Row():
                            search_button = labels.add(gr.Button(t("search"), variant="primary"), "search", "value")
                            explain_button = labels.add(gr.Button(t("explain_only")), "explain_only", "value")
                        examples = example_queries(query, language_choice)
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
                    match_caption = gr.Markdown(t("match_hint"))
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
                        compare_query = query_input(260)
                        compare_methods = labels.add(
                            gr.CheckboxGroup(
                                method_choices(initial_language, slow=False),
                                value=[method_id for method_id in ("gap", "wmtl") if method_id in METHODS],
                                label=t("methods"),
                            ),
                            "methods",
                        )
                        labels.add(compare_methods, lambda language: method_choices(language, slow=False), "choices")
                        compare_backbone = backbone_input()
                        compare_button = labels.add(gr.Button(t("compare"), variant="primary"), "compare", "value")
                        compare_examples = example_queries(compare_query, language_choice)
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
                        steps_query = query_input(260)
                        steps_backbone = backbone_input()
                        steps_button = labels.add(gr.Button(t("run_steps"), variant="primary"), "run_steps", "value")
                        handout_button = labels.add(gr.Button(t("export_handout")), "export_handout", "value")
                        handout_files = labels.add(gr.File(label=t("handout_files"), file_count="multiple", interactive=False), "handout_files")
                        steps_examples = example_queries(steps_query, language_choice)
                    with gr.Column(scale=3):
                        steps_status = gr.Markdown()
                        step_views = []
                        for _ in range(STEP_COUNT):
                            with gr.Row(visible=False) as step_row:
                                step_image = gr.Image(show_label=False, interactive=False, height=step_height, scale=2)
                                step_caption = gr.Markdown()
                            step_views.append((step_row, step_image, step_caption))
                steps_state = gr.State([])
            labels.add(steps_tab, "tab_steps")

            with gr.Tab(t("tab_gallery"), id="gallery") as gallery_tab:
                labels.add(gr.Markdown(t("gallery_intro")), "gallery_intro", "value")
                folder = labels.add(gr.Textbox(label=t("gallery_folder"), placeholder=t("gallery_folder_placeholder")), "gallery_folder")
                labels.add(folder, "gallery_folder_placeholder", "placeholder")
                with gr.Row():
                    split = labels.add(gr.Dropdown(split_choices(initial_language), value="auto", label=t("split")), "split")
                    labels.add(split, split_choices, "choices")
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
                            # No minimum, maximum or precision: Gradio would reject or round a bad value with its own
                            # English message before fgir's translated one.
                            gr.Number(value=DEFAULT_DOWNLOAD_CLASSES, label=t("download_classes")),
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
                return _empty_outputs(language, [error_note(UiText("need_query"))])
            try:
                views = service.search(image, method_id, backbone_id, int(k), progress_callback(progress, language))
                return _outputs(views, language)
            except FgirError as error:
                logger.warning("Search failed for %s with %s/%s: %s", image, method_id, backbone_id, error)
                return _empty_outputs(language, [error_note(error)])
            except Exception as error:  # The UI must stay up; the traceback goes to the log.
                logger.exception("Unexpected error while searching %s", image)
                return _empty_outputs(language, [error_note(f"{type(error).__name__}: {error}")])

        def on_explain(image, method_id, backbone_id, language) -> tuple:
            if not image:
                return _empty_outputs(language, [error_note(UiText("need_image"))])
            try:
                return _outputs(service.explain(image, method_id, backbone_id), language)
            except FgirError as error:
                logger.warning("Explanation failed for %s with %s/%s: %s", image, method_id, backbone_id, error)
                return _empty_outputs(language, [error_note(error)])
            except Exception as error:
                logger.exception("Unexpected error while explaining %s", image)
                return _empty_outputs(language, [error_note(f"{type(error).__name__}: {error}")])

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
                notes = [("match_hint", {})]
                return None, None, render_notes(language, notes), notes
            entry = entries[event.index]
            try:
                query_map, result_map = service.explain_match(image, entry["image_path"], method_id, backbone_id)
            except FgirError as error:
                logger.warning("Match explanation failed for %s: %s", entry.get("image_path"), error)
                notes = [error_note(error)]
                return None, None, render_notes(language, notes), notes
            notes = [("match_caption", {"rank": entry["rank"], "class_name": entry["class_name"], "score": entry["score"]})]
            return query_map, result_map, render_notes(language, notes), notes

        def compare_texts(language: str, state: dict) -> list[str]:
            """Render the compare status and one heading per method row (empty for hidden rows)."""
            headings = state.get("headings", {})
            texts = [render_notes(language, state.get("status", []))]
            texts += [render_notes(language, headings.get(method_id, []), HEADING_SEPARATOR) for method_id, _, _, _ in compare_rows]
            return texts

        def on_compare(image, method_ids, backbone_id, language, progress=gr.Progress()) -> list:
            comparisons = {}
            state: dict = {"status": [], "headings": {}}
            if not image or not method_ids:
                state["status"] = [error_note(UiText("need_query_and_methods"))]
            else:
                try:
                    found = service.compare(image, method_ids, backbone_id, COMPARE_TOP_K, progress_callback(progress, language))
                    comparisons = {comparison.method_id: comparison for comparison in found}
                except FgirError as error:
                    logger.warning("Comparison failed for %s: %s", image, error)
                    state["status"] = [error_note(error)]
            for method_id, comparison in comparisons.items():
                heading: list[Note] = [("compare_heading", {"name": UiText(f"method_name_{method_id}"), "method_id": method_id})]
                if comparison.precision is not None:
                    heading.append(("precision", {"k": len(comparison.results), "value": comparison.precision}))
                if comparison.error:
                    heading.append(error_note(comparison.error))
                state["headings"][method_id] = heading
            texts = compare_texts(language, state)
            updates: list = [texts[0]]
            for (method_id, _, _, _), heading_text in zip(compare_rows, texts[1:]):
                comparison = comparisons.get(method_id)
                if comparison is None:
                    updates += [gr.Column(visible=False), "", []]
                else:
                    updates += [gr.Column(visible=True), heading_text, comparison.results]
            return [*updates, state]

        def refreshed_gallery(language: str, notes: list[Note] | None = None) -> tuple:
            samples = _example_samples(service)
            notes = notes or []
            # A notice or error goes below the summary, so the loaded gallery stays in view.
            text = render_notes(language, gallery_notes(service) + notes)
            return text, gr.Dataset(samples=samples), gr.Dataset(samples=samples), gr.Dataset(samples=samples), notes

        def on_load_folder(path: str, split_choice: str, class_range: str, language: str) -> tuple:
            folder_text = (path or "").strip()
            if not folder_text:
                return refreshed_gallery(language, [error_note(UiText("need_folder"))])
            try:
                service.set_gallery(Path(folder_text), None if split_choice == "auto" else split_choice, class_range or None)
            except FgirError as error:
                logger.warning("Loading gallery %r failed: %s", path, error)
                return refreshed_gallery(language, [error_note(error)])
            return refreshed_gallery(language)

        def on_upload_zip(file: str | None, language: str) -> tuple:
            if not file:
                return refreshed_gallery(language)
            try:
                service.set_gallery_from_zip(file)
            except FgirError as error:
                logger.warning("Loading uploaded gallery %s failed: %s", file, error)
                return refreshed_gallery(language, [error_note(error)])
            return refreshed_gallery(language)

        def on_download(
            destination: str, class_count, url: str, md5: str, split_choice: str, language: str, progress=gr.Progress()
        ) -> tuple:
            if class_count in (None, ""):
                return refreshed_gallery(language, [error_note(UiText("need_class_count"))])
            try:
                classes = parse_class_count(class_count)
            except ValueError:
                return refreshed_gallery(language, [error_note(UiText("invalid_class_count", {"value": class_count}))])
            folder = Path((destination or DEFAULT_DOWNLOAD_FOLDER).strip()).expanduser()
            root = folder.resolve() / ROOT_NAME
            try:
                source = archive_source((url or "").strip() or None, (md5 or "").strip() or None)
                if is_cub_root(root):
                    notice: Note = ("download_reused", {"root": root})
                else:
                    report = ProgressReport(show_bars=False, callback=download_progress(progress, language))
                    root = fetch_cub(folder, source, classes, progress=report)
                    notice = ("download_done", {"root": root})
                service.set_gallery(root, None if split_choice == "auto" else split_choice, None)
            except FgirError as error:
                logger.warning("Downloading CUB-200-2011 into %s failed: %s", folder, error)
                return refreshed_gallery(language, [error_note(error)])
            except OSError as error:  # e.g. a destination whose parent is a file or is not writable
                logger.warning("Downloading CUB-200-2011 into %s failed: %s", folder, error)
                return refreshed_gallery(language, [error_note(UiText("download_os_error", {"folder": folder, "reason": error}))])
            return refreshed_gallery(language, [notice])

        def on_index(method_id: str, backbone_id: str, language: str, progress=gr.Progress()) -> tuple:
            try:
                retriever = service.prepare(method_id, backbone_id, progress_callback(progress, language))
            except FgirError as error:
                logger.warning("Indexing with %s/%s failed: %s", method_id, backbone_id, error)
                notes = [error_note(error)]
            else:
                count = len(retriever.embeddings.descriptors)
                notes = [("indexed", {"count": count, "method": method_id, "backbone": backbone_id})]
            return render_notes(language, gallery_notes(service) + notes), notes

        def hidden_steps() -> list:
            return [update for _ in step_views for update in (gr.Row(visible=False), None, "")]

        def on_steps(image, backbone_id, language) -> list:
            if not image:
                notes = [error_note(UiText("need_query"))]
                return [render_notes(language, notes), [], *hidden_steps(), notes]
            try:
                steps = service.walkthrough(image, backbone_id)
            except FgirError as error:
                logger.warning("Walkthrough failed for %s: %s", image, error)
                notes = [error_note(error)]
                return [render_notes(language, notes), [], *hidden_steps(), notes]
            updates: list = ["", steps]
            for index in range(len(step_views)):
                if index < len(steps):
                    updates += [gr.Row(visible=True), steps[index].image, step_text(language, steps[index])]
                else:
                    updates += [gr.Row(visible=False), None, ""]
            return [*updates, []]

        def on_handout(steps, language) -> tuple:
            if not steps:
                notes = [error_note(UiText("need_query"))]
                return render_notes(language, notes), None, notes
            folder = Path(tempfile.mkdtemp(prefix="fgir-handout-"))
            titles = [translate(language, step.key) for step in steps]
            captions = [translate(language, step.key + "_caption", **step.params) for step in steps]
            png_path, pdf_path = folder / "fgir-handout.png", folder / "fgir-handout.pdf"
            render_handout(steps, titles, captions, png_path, pdf_path)
            return "", [str(png_path), str(pdf_path)], []

        def on_language(language: str, method_id: str, summary_state, status_state, match_state, compare_state, steps_state_notes, steps) -> list:
            """Relabel every widget and render every status text again from its notes."""
            step_texts = [step_text(language, steps[index]) if index < len(steps or []) else "" for index in range(len(step_views))]
            return [
                *labels.updates(language),
                render_notes(language, gallery_notes(service) + (summary_state or [])),
                method_note(method_id, language),
                render_notes(language, status_state or []),
                render_notes(language, match_state or []),
                *compare_texts(language, compare_state or {}),
                render_notes(language, steps_state_notes or []),
                *step_texts,
            ]

        def on_page_load(request: gr.Request) -> str:
            if language is not None:
                return language
            return language_from_header(request.headers.get("accept-language") if request else None)

        # --- wiring ---------------------------------------------------------------------------
        view_outputs = [results, query_view, spatial_view, channel_view, saliency_view, status, payload, status_notes]
        example_datasets = [examples.dataset, compare_examples.dataset, steps_examples.dataset]
        private = {"api_visibility": "private"}
        search_button.click(on_search, [query, method, backbone, top_k, language_choice], view_outputs, **private)
        explain_button.click(on_explain, [query, method, backbone, language_choice], view_outputs, api_name="explain")
        results.select(
            on_select_result,
            [query, method, backbone, payload, language_choice],
            [match_query_view, match_result_view, match_caption, match_notes],
            **private,
        )
        compare_outputs = [compare_status] + [widget for _, row, heading, gallery in compare_rows for widget in (row, heading, gallery)]
        compare_outputs.append(compare_notes)
        compare_button.click(on_compare, [compare_query, compare_methods, compare_backbone, language_choice], compare_outputs, **private)
        step_outputs = [steps_status, steps_state] + [widget for row, image, text in step_views for widget in (row, image, text)]
        step_outputs.append(steps_notes)
        steps_button.click(on_steps, [steps_query, steps_backbone, language_choice], step_outputs, **private)
        handout_button.click(on_handout, [steps_state, language_choice], [steps_status, handout_files, steps_notes], **private)
        checkpoint.change(service.set_hash_checkpoint, [checkpoint], None, **private)
        method.change(method_note, [method, language_choice], [method_info], **private)
        gallery_outputs = [summary, *example_datasets, summary_notes]
        load_button.click(on_load_folder, [folder, split, classes, language_choice], gallery_outputs, **private)
        archive.upload(on_upload_zip, [archive, language_choice], gallery_outputs, **private)
        index_button.click(on_index, [method, backbone, language_choice], [summary, summary_notes], **private)
        download_button.click(
            on_download,
            [download_dest, download_classes, download_url, download_md5, split, language_choice],
            gallery_outputs,
            **private,
        )
        compare_headings = [heading for _, _, heading, _ in compare_rows]
        step_texts = [text for _, _, text in step_views]
        language_choice.change(
            on_language,
            [language_choice, method, summary_notes, status_notes, match_notes, compare_notes, steps_notes, steps_state],
            labels.widgets() + [summary, method_info, status, match_caption, compare_status, *compare_headings, steps_status, *step_texts],
            **private,
        )
        demo.load(on_page_load, None, [language_choice], **private)
        if index_on_load and service.gallery is not None:

            # The language comes from the request, because this runs alongside on_page_load,
            # before the language radio is set to the browser's language.
            def on_open_index(request: gr.Request, progress=gr.Progress()) -> tuple:
                return on_index(default_method, default_backbone, on_page_load(request), progress)

            demo.load(on_open_index, None, [summary, summary_notes], **private)

        # A JSON-only endpoint for scripts: gradio_client's Client.predict(..., api_name="/search").
        # The image arrives as a plain file so that fgir's loader, not gr.Image, judges it and
        # a bad file gets fgir's one-line message naming the file and the fix.
        api_image = gr.File(visible=False, type="filepath")
        api_result = gr.JSON(visible=False)
        api_trigger = gr.Button(visible=False)
        api_trigger.click(api_search, [api_image, method, backbone, top_k], [api_result], api_name="search")
    return demo
