"""Gradio layout and event wiring. Logic lives in the service; handlers only translate."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import gradio as gr

from fgir.backbones import BACKBONES
from fgir.errors import FgirError
from fgir.methods import METHODS
from fgir.service import QueryViews, RetrievalService

logger = logging.getLogger(__name__)

DEFAULT_TOP_K = 10
MAX_TOP_K = 50
RESULT_COLUMNS = 5
COMPARE_COLUMNS = 5

INTRO = """# fgir · fine-grained image retrieval
Pick a method and a backbone, upload a query or click an example, and see the ranked gallery
images next to the maps that explain them: CroW spatial and channel weights, the localized
target box (green; ground truth in amber when the data set has one) and a gradient-weighted
saliency map."""
NO_GALLERY = (
    "**No gallery is loaded.** You can still explain one image (weighting maps, box, saliency) "
    "with *Explain only*. To search, open the **Gallery** tab and enter a folder path "
    "(a CUB-200-2011 root or a folder of class subfolders), or upload a zip of class folders; "
    "or start the app with `python app.py --gallery PATH`."
)


def gallery_summary(service: RetrievalService) -> str:
    gallery = service.gallery
    if gallery is None:
        return NO_GALLERY
    classes = len(gallery.class_names())
    return (
        f"**Gallery:** {gallery.image_root} · {gallery.kind} · split `{gallery.split}` · "
        f"{len(gallery.items)} images in {classes} classes · cache `{service.cache.root}`"
    )


def _progress_callback(progress: gr.Progress):
    """Report indexing progress with a time estimate from the images done so far in this run."""
    started = time.perf_counter()
    first_done: list[int] = []  # Images already cached when this run started (a resumed run).

    def update(done: int, total: int) -> None:
        if not first_done:
            first_done.append(done)
        described = done - first_done[0]
        description = "Indexing gallery"
        if described > 0 and done < total:
            remaining = (time.perf_counter() - started) / described * (total - done)
            description = f"Indexing gallery: about {remaining:.0f} s left"
        progress((done, total), desc=description, unit="images")

    return update


def method_note(method_id: str) -> str:
    cls = METHODS[method_id]
    note = f"**{cls.display_name}** (`{method_id}`)."
    if cls.slow:
        note += (
            " This method runs a backward pass for every image, so indexing a gallery takes several times "
            "longer than with `wmtl`; the progress bar estimates the time left from the images done so far."
        )
    return note


def _status(views: QueryViews) -> str:
    return "\n\n".join(views.notes)


def _empty_outputs(message: str) -> tuple:
    return [], None, None, None, None, f"**Error:** {message}", {}


def _outputs(views: QueryViews) -> tuple:
    return views.results, views.query, views.spatial, views.channel_plot, views.saliency, _status(views), views.payload


def build_demo(service: RetrievalService, default_method: str = "wmtl", default_backbone: str = "mobilenet_v2") -> gr.Blocks:
    """Build the app's Blocks over a service that may or may not have a gallery yet."""
    method_choices = [(f"{cls.display_name} ({method_id})", method_id) for method_id, cls in sorted(METHODS.items())]
    backbone_choices = [(spec.display_name, backbone_id) for backbone_id, spec in BACKBONES.items()]

    def on_search(image: str | None, method: str, backbone: str, top_k: float, progress=gr.Progress()) -> tuple:
        if not image:
            return _empty_outputs("Upload a query image or click an example first.")
        try:
            return _outputs(service.search(image, method, backbone, int(top_k), _progress_callback(progress)))
        except FgirError as error:
            logger.warning("Search failed for %s with %s/%s: %s", image, method, backbone, error)
            return _empty_outputs(str(error))
        except Exception as error:  # The UI must stay up; the traceback goes to the log.
            logger.exception("Unexpected error while searching %s", image)
            return _empty_outputs(f"Unexpected {type(error).__name__}: {error}")

    def on_explain(image: str | None, method: str, backbone: str) -> tuple:
        if not image:
            return _empty_outputs("Upload an image first.")
        try:
            return _outputs(service.explain(image, method, backbone))
        except FgirError as error:
            return _empty_outputs(str(error))
        except Exception as error:
            logger.exception("Unexpected error while explaining %s", image)
            return _empty_outputs(f"Unexpected {type(error).__name__}: {error}")

    def api_search(image: str | None, method: str, backbone: str, top_k: float) -> dict:
        if not image:
            raise gr.Error("Missing image: pass a file with gradio_client.handle_file(PATH).")
        try:
            return service.search(image, method, backbone, int(top_k)).payload
        except FgirError as error:
            raise gr.Error(str(error)) from error

    def on_select_result(
        event: gr.SelectData, image: str | None, method: str, backbone: str, payload: dict | None
    ) -> tuple:
        results = (payload or {}).get("results", [])
        if not image or event.index is None or event.index >= len(results):
            return None, None, "Select a result after a search to see why it matched."
        entry = results[event.index]
        try:
            query_map, result_map = service.explain_match(image, entry["image_path"], method, backbone)
        except FgirError as error:
            return None, None, f"**Error:** {error}"
        caption = f"Why #{entry['rank']} ({entry['class_name']}, similarity {entry['score']:.3f}) matched the query"
        return query_map, result_map, caption

    def on_compare(image: str | None, method_ids: list[str], backbone: str, progress=gr.Progress()) -> list:
        updates: list = []
        if not image or not method_ids:
            message = "Upload a query image and pick at least one method."
            comparisons = {}
        else:
            try:
                comparisons = {c.method_id: c for c in service.compare(image, method_ids, backbone, progress=_progress_callback(progress))}
                message = ""
            except FgirError as error:
                comparisons, message = {}, f"**Error:** {error}"
        updates.append(message)
        for method_id, _, _, _ in compare_rows:
            comparison = comparisons.get(method_id)
            if comparison is None:
                updates += [gr.Column(visible=False), "", []]
                continue
            heading = f"**{METHODS[method_id].display_name}** (`{method_id}`)"
            if comparison.precision is not None:
                heading += f" · precision@{len(comparison.results)} = {comparison.precision:.2f}"
            if comparison.error:
                heading += f" · **Error:** {comparison.error}"
            updates += [gr.Column(visible=True), heading, comparison.results]
        return updates

    def on_load_folder(path: str, split: str, classes: str) -> tuple[str, gr.Dataset]:
        try:
            service.set_gallery(Path(path.strip()), None if split == "auto" else split, classes or None)
        except FgirError as error:
            return f"**Error:** {error}", gr.Dataset(samples=_example_samples(service))
        return gallery_summary(service), gr.Dataset(samples=_example_samples(service))

    def on_upload_zip(file: str | None) -> tuple[str, gr.Dataset]:
        if not file:
            return gallery_summary(service), gr.Dataset(samples=_example_samples(service))
        try:
            service.set_gallery_from_zip(file)
        except FgirError as error:
            return f"**Error:** {error}", gr.Dataset(samples=_example_samples(service))
        return gallery_summary(service), gr.Dataset(samples=_example_samples(service))

    def on_index(method: str, backbone: str, progress=gr.Progress()) -> str:
        try:
            retriever = service.prepare(method, backbone, _progress_callback(progress))
        except FgirError as error:
            return f"**Error:** {error}"
        count = len(retriever.embeddings.descriptors)
        return f"{gallery_summary(service)}\n\nIndexed {count} images with `{method}` on `{backbone}`."

    with gr.Blocks(title="fgir · fine-grained image retrieval") as demo:
        gr.Markdown(INTRO)
        summary = gr.Markdown(gallery_summary(service))
        with gr.Tab("Search"):
            with gr.Row():
                with gr.Column(scale=1):
                    query = gr.Image(type="filepath", label="Query image", sources=["upload", "clipboard"], height=320)
                    method = gr.Dropdown(method_choices, value=default_method, label="Method")
                    method_info = gr.Markdown(method_note(default_method))
                    backbone = gr.Dropdown(backbone_choices, value=default_backbone, label="Backbone")
                    top_k = gr.Slider(1, MAX_TOP_K, value=DEFAULT_TOP_K, step=1, label="Top-k results")
                    with gr.Row():
                        search_button = gr.Button("Search", variant="primary")
                        explain_button = gr.Button("Explain only")
                    examples = gr.Examples(
                        examples=_example_samples(service) or [[None]],
                        inputs=[query],
                        label="Example queries (click one)",
                    )
                with gr.Column(scale=2):
                    results = gr.Gallery(label="Ranked results", columns=RESULT_COLUMNS, height=520, object_fit="contain")
                    status = gr.Markdown()
            with gr.Row():
                query_view = gr.Image(label="Query · box (green) · ground truth (amber)", interactive=False)
                spatial_view = gr.Image(label="Spatial weights S (CroW)", interactive=False)
                channel_view = gr.Image(label="Channel weights w (CroW)", interactive=False)
                saliency_view = gr.Image(label="Saliency (gradient-weighted channels)", interactive=False)
            with gr.Accordion("Why did a result match? Click a result above.", open=True):
                match_caption = gr.Markdown("Select a result after a search to see why it matched.")
                with gr.Row():
                    match_query_view = gr.Image(label="Query: saliency for this match", interactive=False)
                    match_result_view = gr.Image(label="Result: saliency for this match", interactive=False)
            with gr.Accordion("Ranked results as JSON", open=False):
                payload = gr.JSON(label="Results")
        with gr.Tab("Compare methods"):
            gr.Markdown("One query through several methods side by side: the top 5 of each, and its precision when the query's class is known.")
            with gr.Row():
                with gr.Column(scale=1):
                    compare_query = gr.Image(type="filepath", label="Query image", sources=["upload", "clipboard"], height=260)
                    compare_methods = gr.CheckboxGroup(
                        [choice for choice in method_choices if not METHODS[choice[1]].slow],
                        value=[method_id for method_id in ("gap", "wmtl") if method_id in METHODS],
                        label="Methods",
                    )
                    compare_backbone = gr.Dropdown(backbone_choices, value=default_backbone, label="Backbone")
                    compare_button = gr.Button("Compare", variant="primary")
                    gr.Examples(examples=_example_samples(service) or [[None]], inputs=[compare_query], label="Example queries")
                with gr.Column(scale=3):
                    compare_status = gr.Markdown()
                    compare_rows = []
                    for method_id in sorted(METHODS):
                        with gr.Column(visible=False) as row:
                            heading = gr.Markdown(f"**{method_id}**")
                            thumbnails = gr.Gallery(columns=COMPARE_COLUMNS, height=200, show_label=False, object_fit="contain")
                        compare_rows.append((method_id, row, heading, thumbnails))
        with gr.Tab("Gallery"):
            gr.Markdown("Load a gallery from a folder on this machine, or upload a zip of class folders.")
            folder = gr.Textbox(label="Gallery folder", placeholder="/path/to/CUB_200_2011 or /path/to/class_folders")
            with gr.Row():
                split = gr.Dropdown(["auto", "train", "test", "all"], value="auto", label="Split (CUB only; auto = train)")
                classes = gr.Textbox(label="Class range", placeholder="e.g. 1-100 (empty = all)")
            load_button = gr.Button("Load folder")
            archive = gr.File(label="… or upload a zip of class folders", file_types=[".zip"], type="filepath")
            index_button = gr.Button("Index now with the selected method and backbone")

        view_outputs = [results, query_view, spatial_view, channel_view, saliency_view, status, payload]
        search_button.click(on_search, [query, method, backbone, top_k], view_outputs, api_visibility="private")
        compare_outputs = [compare_status] + [component for _, row, heading, gallery in compare_rows for component in (row, heading, gallery)]
        compare_button.click(on_compare, [compare_query, compare_methods, compare_backbone], compare_outputs, api_visibility="private")
        method.change(method_note, [method], [method_info], api_visibility="private")
        results.select(
            on_select_result,
            [query, method, backbone, payload],
            [match_query_view, match_result_view, match_caption],
            api_visibility="private",
        )
        explain_button.click(on_explain, [query, method, backbone], view_outputs, api_name="explain")
        load_button.click(on_load_folder, [folder, split, classes], [summary, examples.dataset], api_visibility="private")
        archive.upload(on_upload_zip, [archive], [summary, examples.dataset], api_visibility="private")
        index_button.click(on_index, [method, backbone], [summary], api_visibility="private")

        # A JSON-only endpoint for scripts: gradio_client's Client.predict(..., api_name="/search").
        api_result = gr.JSON(visible=False)
        api_trigger = gr.Button(visible=False)
        api_trigger.click(api_search, [query, method, backbone, top_k], [api_result], api_name="search")
    return demo


def _example_samples(service: RetrievalService) -> list[list[str]]:
    return [[str(path)] for path in service.example_queries()]
