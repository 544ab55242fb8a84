"""Render explanations as RGB images: heatmap overlays, boxes, channel-weight plots, thumbnails.

Every function takes and returns uint8 RGB arrays [H, W, 3] and never touches the UI.
"""

from __future__ import annotations

import io

import cv2
import matplotlib

matplotlib.use("Agg")  # No display on servers and Spaces.
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

THUMBNAIL_SIDE = 320
OVERLAY_ALPHA = 0.5
PREDICTED_BOX_COLOR = (0, 200, 0)
GROUND_TRUTH_BOX_COLOR = (255, 200, 0)
CORRECT_MARK = "✓"
WRONG_MARK = "✗"
_PLOT_DPI = 100
_TOP_CHANNELS_MARKED = 10


def to_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = OVERLAY_ALPHA) -> np.ndarray:
    """Blend a [h, w] map in [0, 1] (any grid) over an RGB image with the JET colour map."""
    height, width = image.shape[:2]
    resized = cv2.resize(heatmap.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    scaled = np.clip(resized * 255.0, 0, 255).astype(np.uint8)
    colored = cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return cv2.addWeighted(image, 1.0 - alpha, colored, alpha, 0.0)


def scale_to_unit(values: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1]; a constant array becomes zeros."""
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values, dtype=np.float32)


def draw_box(image: np.ndarray, box: np.ndarray | tuple | None, color: tuple[int, int, int]) -> np.ndarray:
    """Draw an [x0, y0, x1, y1] pixel box; the line width grows with the image."""
    if box is None or np.isnan(np.asarray(box, dtype=np.float32)).any():
        return image
    thickness = max(2, round(max(image.shape[:2]) / 150))
    x0, y0, x1, y1 = (int(round(value)) for value in box)
    output = image.copy()
    cv2.rectangle(output, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), color, thickness)
    return output


def with_boxes(image: np.ndarray, predicted: np.ndarray | None, ground_truth: tuple | None) -> np.ndarray:
    """Draw the ground-truth box (amber) under the predicted box (green)."""
    return draw_box(draw_box(image, ground_truth, GROUND_TRUTH_BOX_COLOR), predicted, PREDICTED_BOX_COLOR)


REGION_COLOR = (60, 140, 255)


def draw_regions(image: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Draw [R, 4] fractional region boxes (the local regions of a hashing method) in blue."""
    height, width = image.shape[:2]
    scale = np.array([width, height, width, height], dtype=np.float32)
    for region in regions:
        image = draw_box(image, region * scale, REGION_COLOR)
    return image


def thumbnail(image: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """Shrink so that the longer side is at most ``side`` pixels; never enlarges."""
    height, width = image.shape[:2]
    scale = side / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def channel_weights_plot(weights: np.ndarray) -> np.ndarray:
    """Plot channel weights sorted in descending order and mark the strongest channel indices.

    The plot carries only notation (c, w_c), so it reads the same in every UI language; the
    widget or handout around it names it.
    """
    order = np.argsort(-weights, kind="stable")
    figure, axis = plt.subplots(figsize=(5.0, 3.0), dpi=_PLOT_DPI)
    axis.plot(np.arange(len(weights)), weights[order], color="tab:blue", linewidth=1.2)
    axis.set_xlabel("c")
    axis.set_ylabel("w_c = log(Σ Q / Q_c)")
    top = ", ".join(str(int(index)) for index in order[:_TOP_CHANNELS_MARKED])
    axis.text(0.98, 0.95, f"c*: {top}", transform=axis.transAxes, ha="right", va="top", fontsize=7)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure_to_array(figure)


def figure_to_array(figure: plt.Figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    buffer.seek(0)
    return to_array(Image.open(buffer))


def readable_class_name(class_name: str) -> str:
    """Turn a folder-style name such as '003.Sooty_Albatross' into 'Sooty Albatross'."""
    prefix, separator, rest = class_name.partition(".")
    name = rest if separator and prefix.isdigit() else class_name
    return name.replace("_", " ")


def result_caption(rank: int, score: float, class_name: str, correct: bool | None) -> str:
    mark = "" if correct is None else f"{CORRECT_MARK if correct else WRONG_MARK} "
    return f"{mark}#{rank} · {score:.3f} · {readable_class_name(class_name)}"
