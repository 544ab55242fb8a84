"""Step-by-step view of the wmtl pipeline for one query, and its export as a PNG or PDF handout.

Steps: input → feature map → spatial weights → channel weights → mask and box → descriptor →
nearest neighbours. Each step is a small RGB image with a title key and caption parameters, so
the UI can show it in either language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from PIL import Image  # noqa: E402

from fgir import views  # noqa: E402
from fgir.backbones import Backbone  # noqa: E402
from fgir.localization import box_to_pixels, largest_component, mask_to_box, mean_threshold_mask  # noqa: E402
from fgir.methods import create_method  # noqa: E402
from fgir.pipeline import Retriever  # noqa: E402
from fgir.weighting import aggregation_map, crow_weighted_map  # noqa: E402

logger = logging.getLogger(__name__)

NEIGHBOURS_SHOWN = 5
_STRIP_HEIGHT = 160
_PLOT_SIZE = (5.0, 3.0)
_PLOT_DPI = 100
_HANDOUT_COLUMNS = 2
_HANDOUT_DPI = 150


@dataclass
class Step:
    """One stage of the pipeline: a picture, a title key and caption parameters (see fgir.ui.text)."""

    key: str
    image: np.ndarray
    params: dict = field(default_factory=dict)


def _grid_overlay(image: np.ndarray, values: np.ndarray) -> np.ndarray:
    return views.thumbnail(views.overlay_heatmap(image, views.scale_to_unit(values)))


def _mask_picture(image: np.ndarray, raw_mask: np.ndarray, kept: np.ndarray, box: np.ndarray | None) -> np.ndarray:
    # Above-mean positions at half strength, the kept component at full strength.
    strength = 0.5 * raw_mask.astype(np.float32) + 0.5 * kept.astype(np.float32)
    return views.thumbnail(views.draw_box(views.overlay_heatmap(image, strength), box, views.PREDICTED_BOX_COLOR))


def _descriptor_plot(descriptor: np.ndarray) -> np.ndarray:
    figure, axis = plt.subplots(figsize=_PLOT_SIZE, dpi=_PLOT_DPI)
    axis.plot(descriptor, linewidth=0.6, color="tab:green")
    # Notation only, so the plot reads the same in every UI language.
    axis.set_xlabel("d")
    axis.set_ylabel("x_d")
    axis.set_title(f"x ∈ R^{descriptor.size}, ‖x‖₂ = {np.linalg.norm(descriptor):.2f}")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return views.figure_to_array(figure)


def _neighbour_strip(pictures: list[np.ndarray]) -> np.ndarray:
    resized = []
    for picture in pictures:
        scale = _STRIP_HEIGHT / picture.shape[0]
        resized.append(np.asarray(Image.fromarray(picture).resize((max(1, round(picture.shape[1] * scale)), _STRIP_HEIGHT))))
    return np.concatenate(resized, axis=1)


def build_walkthrough(backbone: Backbone, image: Image.Image, retriever: Retriever | None = None) -> list[Step]:
    """Compute every wmtl step for one RGB image; neighbours need a prepared ``retriever``."""
    pixels = views.to_array(image)
    with torch.inference_mode():
        maps = backbone.feature_maps(backbone.preprocess(image)[None])
    feature_map = maps.last
    weighted, spatial, channel = crow_weighted_map(feature_map)
    raw_mask = mean_threshold_mask(aggregation_map(weighted))[0].numpy()
    kept = largest_component(raw_mask)
    fractional_box = mask_to_box(kept)
    box = None if fractional_box is None else box_to_pixels(fractional_box, image.width, image.height)
    channels, height, width = feature_map.shape[1:]

    steps = [
        Step("step_input", views.thumbnail(pixels), {"width": image.width, "height": image.height}),
        Step(
            "step_feature_map",
            _grid_overlay(pixels, aggregation_map(feature_map)[0].numpy()),
            {"channels": channels, "height": height, "width": width, "backbone": backbone.id},
        ),
        Step("step_spatial", _grid_overlay(pixels, spatial[0].numpy()), {}),
        Step("step_channel", views.channel_weights_plot(channel[0].numpy()), {"channels": channels}),
        Step(
            "step_mask",
            _mask_picture(pixels, raw_mask, kept, box),
            {"selected": int(kept.sum()), "above_mean": int(raw_mask.sum()), "positions": height * width},
        ),
    ]
    method = retriever.method if retriever is not None else create_method("wmtl")
    with torch.inference_mode():
        descriptor = method.describe(backbone, backbone.preprocess(image)[None]).descriptors[0].numpy()
    steps.append(Step("step_descriptor", _descriptor_plot(descriptor), {"dimension": descriptor.size}))

    if retriever is not None:
        result = retriever.search(image, NEIGHBOURS_SHOWN)
        pictures = [views.with_boxes(views.to_array(Image.open(match.path).convert("RGB")), match.box, None) for match in result.matches]
        if pictures:
            steps.append(Step("step_neighbours", _neighbour_strip(pictures), {"count": len(pictures)}))
    return steps


def _cjk_font() -> str | None:
    """Return the name of an installed CJK font for Chinese handouts, registering it with matplotlib."""
    for path in font_manager.findSystemFonts():
        if "CJK" in Path(path).name or "NotoSansSC" in Path(path).name:
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError, ValueError):
                continue
    return None


def render_handout(steps: list[Step], titles: list[str], captions: list[str], png_path: Path, pdf_path: Path) -> None:
    """Write the steps as one figure to PNG and PDF. Titles and captions are already translated."""
    font = _cjk_font() if any(ord(char) > 0x2E80 for text in titles + captions for char in text) else None
    rows = -(-len(steps) // _HANDOUT_COLUMNS)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"]}):
        figure, axes = plt.subplots(rows, _HANDOUT_COLUMNS, figsize=(11.0, 3.6 * rows), dpi=_HANDOUT_DPI)
        for axis in np.atleast_1d(axes).ravel():
            axis.axis("off")
        for axis, step, title, caption in zip(np.atleast_1d(axes).ravel(), steps, titles, captions):
            axis.imshow(step.image)
            axis.set_title(title, fontsize=11, loc="left")
            axis.text(0.0, -0.04, caption, transform=axis.transAxes, fontsize=8, va="top", wrap=True)
        figure.tight_layout()
        figure.savefig(png_path)
        figure.savefig(pdf_path)
        plt.close(figure)
    logger.info("Wrote handout %s and %s", png_path, pdf_path)
