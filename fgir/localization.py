"""Object localization on a feature map: mean-threshold mask, largest component, box.

The selection rule follows SCDA (Wei, Luo, Wu, Zhou, "Selective Convolutional Descriptor
Aggregation for Fine-Grained Image Retrieval", IEEE TIP 2017): positions whose aggregation value
exceeds the map's mean, reduced to the largest 8-connected component.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

EIGHT_CONNECTIVITY = 8


def mean_threshold_mask(aggregation: torch.Tensor) -> torch.Tensor:
    """Mark positions of a [B, H, W] aggregation map that exceed that map's mean, as bool [B, H, W]."""
    mean = aggregation.flatten(1).mean(dim=1)[:, None, None]
    return aggregation > mean


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected component of a bool [H, W] mask.

    Ties in size go to the component found first in row-major order, so the result is
    deterministic. An empty mask stays empty.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=EIGHT_CONNECTIVITY
    )
    if count <= 1:
        return np.zeros_like(mask, dtype=bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    tied_labels = 1 + np.flatnonzero(areas == areas.max())
    # OpenCV's default block-based labelling does not number components in row-major order of
    # their first pixel, so ties are broken here by that pixel's flat index.
    _, first_pixel = np.unique(labels.ravel(), return_index=True)
    largest_label = tied_labels[np.argmin(first_pixel[tied_labels])]
    return labels == largest_label


def largest_component_masks(mask: torch.Tensor) -> torch.Tensor:
    """Apply :func:`largest_component` to each mask of a bool [B, H, W] tensor."""
    kept = [largest_component(single.cpu().numpy()) for single in mask]
    return torch.from_numpy(np.stack(kept)).to(mask.device)


def upsample_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a bool [B, h, w] mask to [B, H, W] with nearest-neighbour sampling."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    resized = F.interpolate(mask[:, None].float(), size=size, mode="nearest")
    return resized[:, 0] > 0.5


def mask_to_box(mask: np.ndarray) -> np.ndarray | None:
    """Return the [x0, y0, x1, y1] box of a bool [H, W] mask as fractions of the map's width and height.

    A cell (row i, column j) covers [j/W, (j+1)/W) x [i/H, (i+1)/H), so a box spans whole cells.
    Returns None for an empty mask.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    height, width = mask.shape
    return np.array(
        [cols[0] / width, rows[0] / height, (cols[-1] + 1) / width, (rows[-1] + 1) / height],
        dtype=np.float32,
    )


def box_to_pixels(box: np.ndarray, image_width: int, image_height: int) -> np.ndarray:
    """Scale a fractional [x0, y0, x1, y1] box to pixel coordinates of a width x height image."""
    scale = np.array([image_width, image_height, image_width, image_height], dtype=np.float32)
    return box.astype(np.float32) * scale


def box_iou(box_a: np.ndarray, box_b: np.ndarray) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes; 0 when either has no area."""
    ix0, iy0 = max(box_a[0], box_b[0]), max(box_a[1], box_b[1])
    ix1, iy1 = min(box_a[2], box_b[2]), min(box_a[3], box_b[3])
    intersection = max(0.0, ix1 - ix0) * max(0.0, iy1 - iy0)
    area_a = max(0.0, box_a[2] - box_a[0]) * max(0.0, box_a[3] - box_a[1])
    area_b = max(0.0, box_b[2] - box_b[0]) * max(0.0, box_b[3] - box_b[1])
    union = area_a + area_b - intersection
    return float(intersection / union) if union > 0 else 0.0
