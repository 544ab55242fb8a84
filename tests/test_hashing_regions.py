"""Local regions: layout parsing, snapping to cells, activated positions and region features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fgir.hashing.regions import (
    RegionLayoutError,
    activated_region_masks,
    parse_region_layout,
    region_average_features,
    region_cell_masks,
    snap_boxes_to_cells,
    weighted_region_features,
)


def test_default_layout_is_global_plus_quadrants():
    boxes = parse_region_layout("global+grid2x2")
    expected = [[0, 0, 1, 1], [0, 0, 0.5, 0.5], [0.5, 0, 1, 0.5], [0, 0.5, 0.5, 1], [0.5, 0.5, 1, 1]]
    assert np.allclose(boxes, expected)


def test_multiscale_layout_counts_regions():
    assert len(parse_region_layout("global+grid2x2+grid3x3")) == 14


@pytest.mark.parametrize("layout", ["", "global+", "grid0x2", "grid2", "local", "grid9x9"])
def test_invalid_layout_rejected(layout):
    with pytest.raises(RegionLayoutError):
        parse_region_layout(layout)


def test_quadrants_share_middle_cells_on_odd_map():
    cells = snap_boxes_to_cells(parse_region_layout("grid2x2"), 7, 7)
    # (col0, row0, col1, row1), ends exclusive: 3.5 cells snap outwards to 0..4 and 3..7.
    assert cells.tolist() == [[0, 0, 4, 4], [3, 0, 7, 4], [0, 3, 4, 7], [3, 3, 7, 7]]


def test_thirds_snap_exactly_on_divisible_map():
    cells = snap_boxes_to_cells(parse_region_layout("grid3x3"), 9, 9)
    assert cells[:3].tolist() == [[0, 0, 3, 3], [3, 0, 6, 3], [6, 0, 9, 3]]


def test_activated_positions_exceed_region_mean():
    aggregation = torch.tensor([[[1.0, 2.0], [3.0, 10.0]]])  # [1, 2, 2]
    cells = region_cell_masks(np.array([[0, 0, 2, 2], [0, 0, 1, 2]]), 2, 2)
    activated = activated_region_masks(aggregation, cells)
    # Whole map: mean 4, only 10 exceeds it. Left column {1, 3}: mean 2, only 3 exceeds it.
    assert activated[0, 0].tolist() == [[False, False], [False, True]]
    assert activated[0, 1].tolist() == [[False, False], [True, False]]


def test_region_feature_averages_activated_positions():
    weighted = torch.zeros(1, 2, 2, 2)
    weighted[0, :, 0, 0] = torch.tensor([3.0, 0.0])
    weighted[0, :, 1, 1] = torch.tensor([1.0, 4.0])
    activated = torch.tensor([[[[True, False], [False, True]]]])  # [1, 1, 2, 2]
    features = region_average_features(weighted, activated)
    # Average of (3, 0) and (1, 4) is (2, 2); L2-normalized (0.7071, 0.7071).
    assert features.shape == (1, 1, 2)
    assert torch.allclose(features[0, 0], torch.tensor([0.70710678, 0.70710678]))


def test_empty_region_gives_zero_vector():
    features = region_average_features(torch.ones(1, 3, 2, 2), torch.zeros(1, 1, 2, 2, dtype=torch.bool))
    assert torch.equal(features, torch.zeros(1, 1, 3))


def test_weighted_region_features_shapes_and_norms():
    feature_map = torch.relu(torch.randn(2, 8, 7, 7, generator=torch.Generator().manual_seed(0)))
    found = weighted_region_features(feature_map, "global+grid2x2")
    assert found.features.shape == (2, 5, 8)
    assert found.crow.shape == (2, 8)
    assert found.activated.shape == (2, 5, 7, 7)
    assert found.boxes.shape == (5, 4)
    assert torch.allclose(found.features.norm(dim=2), torch.ones(2, 5), atol=1e-5)
    # The global region of the default layout equals the single region of the global layout.
    alone = weighted_region_features(feature_map, "global")
    assert torch.allclose(alone.features[:, 0], found.features[:, 0])


def test_all_zero_map_gives_zero_features():
    found = weighted_region_features(torch.zeros(1, 4, 7, 7))
    assert torch.equal(found.features, torch.zeros(1, 5, 4))
    assert torch.equal(found.crow, torch.zeros(1, 4))
