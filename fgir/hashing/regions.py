"""Local regions of a CroW-weighted feature map and one feature per region; every function is pure.

A region layout is a '+'-separated list of parts, each ``global`` (the whole map) or ``gridNxM``
(N columns by M rows of equal cells):

- ``global``: one region, the whole map (the ablation without local regions).
- ``global+grid2x2`` (default): the whole map plus its four quadrants, 5 regions.
- ``global+grid2x2+grid3x3``: two scales, 14 regions.

Regions are fractional [x0, y0, x1, y1] boxes snapped outwards to whole feature-map cells, so on
an odd-sized map (7 x 7 for ResNet-18 and MobileNetV2 at 224 px) the quadrants share the middle
row and column. The feature of a region averages the CroW-weighted map X' over the region's
activated positions: those whose aggregation value A = sum_c X'_c exceeds the mean of A over
that region. Each region feature is L2-normalized; a region where nothing exceeds the mean (a
constant or all-zero map) gets a zero vector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from fgir.errors import FgirError, msg
from fgir.pooling import l2_normalize
from fgir.weighting import aggregation_map, crow_weighted_map

DEFAULT_LAYOUT = "global+grid2x2"
GLOBAL_LAYOUT = "global"
_GRID_PART = re.compile(r"^grid(\d+)x(\d+)$")
# Largest grid side accepted. A finer grid than the 7 x 7 maps of the default backbones would
# give regions smaller than one cell.
MAX_GRID_SIDE = 8
# Tolerance when snapping fractional boxes to cells: (2/3) * 9 is 6.000000000000001 in floating point.
_SNAP_TOLERANCE = 1e-9


class RegionLayoutError(FgirError):
    """A region layout string is malformed."""


def parse_region_layout(layout: str) -> np.ndarray:
    """Turn a layout such as 'global+grid2x2' into fractional boxes [R, 4] (x0, y0, x1, y1), float64.

    Parts keep their order, and inside a grid the cells run row by row.
    """
    parts = [part.strip() for part in layout.split("+")]
    if not layout.strip() or any(not part for part in parts):
        raise RegionLayoutError(msg("hashing.invalid_layout", layout=layout))
    boxes: list[tuple[float, float, float, float]] = []
    for part in parts:
        if part == "global":
            boxes.append((0.0, 0.0, 1.0, 1.0))
            continue
        match = _GRID_PART.match(part)
        if match is None:
            raise RegionLayoutError(msg("hashing.invalid_layout_part", part=part, layout=layout))
        columns, rows = int(match.group(1)), int(match.group(2))
        if not (1 <= columns <= MAX_GRID_SIDE and 1 <= rows <= MAX_GRID_SIDE):
            raise RegionLayoutError(msg("hashing.invalid_grid", part=part, layout=layout, max_side=MAX_GRID_SIDE))
        for row in range(rows):
            for column in range(columns):
                boxes.append((column / columns, row / rows, (column + 1) / columns, (row + 1) / rows))
    return np.asarray(boxes, dtype=np.float64)


def snap_boxes_to_cells(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Snap fractional boxes [R, 4] outwards to whole cells of an H x W map: int64 [R, 4] (col0, row0, col1, row1).

    Ends are exclusive and every region covers at least one cell.
    """
    scale = np.array([width, height, width, height], dtype=np.float64)
    scaled = boxes * scale
    cells = np.empty(boxes.shape, dtype=np.int64)
    cells[:, :2] = np.floor(scaled[:, :2] + _SNAP_TOLERANCE)
    cells[:, 2:] = np.ceil(scaled[:, 2:] - _SNAP_TOLERANCE)
    cells[:, 0] = np.clip(cells[:, 0], 0, width - 1)
    cells[:, 1] = np.clip(cells[:, 1], 0, height - 1)
    cells[:, 2] = np.clip(np.maximum(cells[:, 2], cells[:, 0] + 1), 1, width)
    cells[:, 3] = np.clip(np.maximum(cells[:, 3], cells[:, 1] + 1), 1, height)
    return cells


def cell_boxes_to_fractions(cells: np.ndarray, height: int, width: int) -> np.ndarray:
    """Express snapped cell boxes [R, 4] as fractions [R, 4] of the map's width and height, float32."""
    scale = np.array([width, height, width, height], dtype=np.float64)
    return (cells / scale).astype(np.float32)


def region_cell_masks(cells: np.ndarray, height: int, width: int) -> torch.Tensor:
    """Mark the cells of each snapped region [R, 4] on an H x W map: bool [R, H, W]."""
    masks = torch.zeros((len(cells), height, width), dtype=torch.bool)
    for region, (col0, row0, col1, row1) in enumerate(cells.tolist()):
        masks[region, row0:row1, col0:col1] = True
    return masks


def activated_region_masks(aggregation: torch.Tensor, cell_masks: torch.Tensor) -> torch.Tensor:
    """Select, per region, the positions whose aggregation value exceeds the region's mean.

    aggregation [B, H, W], cell_masks bool [R, H, W] -> bool [B, R, H, W].
    """
    inside = cell_masks[None].to(aggregation.dtype)  # [1, R, H, W]
    values = aggregation[:, None]  # [B, 1, H, W]
    region_mean = (values * inside).sum(dim=(2, 3)) / inside.sum(dim=(2, 3))  # [B, R]
    return (values > region_mean[:, :, None, None]) & cell_masks[None]


def region_average_features(weighted: torch.Tensor, activated: torch.Tensor) -> torch.Tensor:
    """Average a weighted map over each region's activated positions and L2-normalize per region.

    weighted [B, C, H, W], activated bool [B, R, H, W] -> [B, R, C]. A region with no activated
    position gets a zero vector.
    """
    selection = activated.to(weighted.dtype)  # [B, R, H, W]
    summed = torch.einsum("bchw,brhw->brc", weighted, selection)  # [B, R, C]
    count = selection.sum(dim=(2, 3))  # [B, R]
    averaged = summed / count.clamp_min(1.0)[:, :, None]
    batch, regions, channels = averaged.shape
    return l2_normalize(averaged.reshape(batch * regions, channels)).reshape(batch, regions, channels)


@dataclass
class RegionFeatures:
    """Region features of a batch with the intermediate maps that explain them."""

    features: torch.Tensor  # [B, R, C], each region L2-normalized
    crow: torch.Tensor  # [B, C] CroW descriptor: sum over positions of X', L2-normalized
    weighted: torch.Tensor  # [B, C, H, W] CroW-weighted map X'
    spatial: torch.Tensor  # [B, H, W] CroW spatial weights
    channel: torch.Tensor  # [B, C] CroW channel weights
    activated: torch.Tensor  # [B, R, H, W] bool, activated positions of each region
    boxes: np.ndarray  # [R, 4] float32 fractional boxes of the regions as snapped to cells


def weighted_region_features(feature_map: torch.Tensor, layout: str = DEFAULT_LAYOUT) -> RegionFeatures:
    """CroW-weight a [B, C, H, W] feature map and compute one feature per region of ``layout``."""
    height, width = feature_map.shape[-2:]
    cells = snap_boxes_to_cells(parse_region_layout(layout), height, width)
    weighted, spatial, channel = crow_weighted_map(feature_map)
    cell_masks = region_cell_masks(cells, height, width).to(feature_map.device)
    activated = activated_region_masks(aggregation_map(weighted), cell_masks)
    return RegionFeatures(
        features=region_average_features(weighted, activated),
        crow=l2_normalize(weighted.sum(dim=(2, 3))),
        weighted=weighted,
        spatial=spatial,
        channel=channel,
        activated=activated,
        boxes=cell_boxes_to_fractions(cells, height, width),
    )


def region_count(layout: str) -> int:
    """Number of regions in ``layout``."""
    return len(parse_region_layout(layout))


def layout_slug(layout: str) -> str:
    """File-name form of a layout: 'global+grid2x2' -> 'global_grid2x2'."""
    return "_".join(part.strip() for part in layout.split("+"))
