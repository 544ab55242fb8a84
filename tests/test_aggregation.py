"""Aggregation baselines against values worked out by hand on tiny feature maps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fgir.aggregation import (
    crow_pool,
    gaussian_center_prior,
    gem_pool,
    rmac_pool,
    rmac_regions,
    spoc_pool,
)
from fgir.backbones import FeatureMaps
from fgir.methods import METHODS, create_method
from fgir.pooling import max_pool


def feature_map(*channels: list[list[float]]) -> torch.Tensor:
    """Stack [H, W] channel grids into a [1, C, H, W] tensor."""
    return torch.tensor([channels], dtype=torch.float32)


class FeatureMapBackbone:
    """Stand-in backbone whose "images" already are last feature maps; aux is the last map itself."""

    id = "feature-map-stand-in"

    def feature_maps(self, images: torch.Tensor) -> FeatureMaps:
        return FeatureMaps(last=images, aux=images)


def test_mac_takes_channel_maxima() -> None:
    x = feature_map([[1, 2], [3, 0]], [[0, 5], [1, 1]])
    assert max_pool(x).tolist() == [[3.0, 5.0]]


def test_spoc_prior_on_3x3_grid() -> None:
    # sigma = 3 / 6 = 0.5; squared distances 0 (centre), 1 (edges), 2 (corners); 2 sigma² = 0.5.
    prior = gaussian_center_prior(3, 3)
    centre, edge, corner = 1.0, math.exp(-2.0), math.exp(-4.0)
    expected = [[corner, edge, corner], [edge, centre, edge], [corner, edge, corner]]
    np.testing.assert_allclose(prior.numpy(), expected, rtol=1e-6)


def test_spoc_prior_even_grid_symmetric() -> None:
    # On a 2x2 grid every cell centre is sqrt(0.5) from the map centre; sigma = 2 / 6.
    expected = math.exp(-0.5 / (2 * (1 / 3) ** 2))
    np.testing.assert_allclose(gaussian_center_prior(2, 2).numpy(), np.full((2, 2), expected), rtol=1e-6)


def test_spoc_sums_with_prior() -> None:
    x = feature_map([[1, 1, 1], [1, 1, 1], [1, 1, 1]], [[0, 0, 0], [0, 2, 0], [0, 0, 0]])
    expected_first = 1.0 + 4 * math.exp(-2.0) + 4 * math.exp(-4.0)
    np.testing.assert_allclose(spoc_pool(x).numpy(), [[expected_first, 2.0]], rtol=1e-6)


def test_gem_cube_root_of_mean_cube() -> None:
    # (1 + 8 + 0 + 27) / 4 = 9, and 9^(1/3); the zero is clamped to 1e-6, whose cube is negligible.
    x = feature_map([[1, 2], [0, 3]])
    np.testing.assert_allclose(gem_pool(x).numpy(), [[9.0 ** (1 / 3)]], rtol=1e-6)


def test_gem_clamps_negative_values() -> None:
    x = feature_map([[-5, -5], [-5, -5]])
    np.testing.assert_allclose(gem_pool(x).numpy(), [[1e-6]], rtol=1e-4)


def test_gem_power_one_is_average() -> None:
    x = feature_map([[1, 2], [3, 6]])
    np.testing.assert_allclose(gem_pool(x, power=1.0).numpy(), [[3.0]], rtol=1e-6)


def test_crow_pool_hand_computed() -> None:
    # A = [2, 1], ||A||_2 = sqrt(5), S = sqrt(A / sqrt(5)).
    # Q = (0.5, 1), so w = (log(1.5 / 0.5), log(1.5 / 1)) = (log 3, log 1.5).
    x = feature_map([[1, 0]], [[1, 1]])
    s0, s1 = math.sqrt(2 / math.sqrt(5)), math.sqrt(1 / math.sqrt(5))
    expected = [[math.log(3) * s0, math.log(1.5) * (s0 + s1)]]
    np.testing.assert_allclose(crow_pool(x).numpy(), expected, rtol=1e-6)


def test_rmac_regions_square_map() -> None:
    regions = rmac_regions(7, 7)
    assert regions[0] == (0, 0, 7, 7)
    assert len(regions) == 1 + 4 + 9
    assert regions[1:5] == [(0, 0, 4, 4), (0, 3, 4, 7), (3, 0, 7, 4), (3, 3, 7, 7)]
    assert regions[5:8] == [(0, 0, 3, 3), (0, 2, 3, 5), (0, 4, 3, 7)]


def test_rmac_regions_wide_map_overlap() -> None:
    # Two 5x5 squares on an 8-wide map start 3 apart: overlap (5 - 3) / 5 = 0.4 exactly.
    regions = rmac_regions(5, 8)
    assert regions[:3] == [(0, 0, 5, 8), (0, 0, 5, 5), (0, 3, 5, 8)]
    assert len(regions) == 1 + 2 + 2 * 3 + 3 * 4


def test_rmac_regions_tall_map_transposed() -> None:
    wide = rmac_regions(5, 8)
    tall = rmac_regions(8, 5)
    assert sorted((x0, y0, x1, y1) for y0, x0, y1, x1 in wide) == sorted(tall)


def test_rmac_regions_reject_empty_grid() -> None:
    with pytest.raises(ValueError, match="Invalid R-MAC grid"):
        rmac_regions(0, 7)


def test_rmac_pool_hand_computed() -> None:
    # Regions on 2x2: the whole map and the four cells (level 3 repeats level 2 and is dropped).
    # whole: max (1, 2) -> (1, 2)/sqrt5; cells: (1, 0), (0, 0), (0, 0), (0, 2) -> (0, 1).
    x = feature_map([[1, 0], [0, 0]], [[0, 0], [0, 2]])
    root5 = math.sqrt(5)
    expected = [[1 + 1 / root5, 1 + 2 / root5]]
    np.testing.assert_allclose(rmac_pool(x).numpy(), expected, rtol=1e-6)


# Aggregation map [[6, 0, 0], [0, 0, 0], [0, 4, 2]] has mean 12/9: the above-mean cells are (0, 0)
# alone and the pair (2, 1), (2, 2), which is the larger component.
SCDA_MAP = feature_map([[4, 0, 0], [0, 0, 0], [0, 3, 2]], [[2, 0, 0], [0, 0, 0], [0, 1, 0]])
SCDA_AVERAGE = np.array([2.5, 0.5]) / math.sqrt(6.5)
SCDA_MAXIMUM = np.array([3.0, 1.0]) / math.sqrt(10.0)


def test_scda_descriptor_hand_computed() -> None:
    batch = create_method("scda").describe(FeatureMapBackbone(), SCDA_MAP)
    expected = np.concatenate([SCDA_AVERAGE, SCDA_MAXIMUM]) / math.sqrt(2.0)
    np.testing.assert_allclose(batch.descriptors.numpy()[0], expected, rtol=1e-6)


def test_scda_box_from_component() -> None:
    batch = create_method("scda").describe(FeatureMapBackbone(), SCDA_MAP)
    np.testing.assert_allclose(batch.boxes[0], [1 / 3, 2 / 3, 1.0, 1.0], rtol=1e-6)


def test_scda_flip_concatenates_mirror() -> None:
    # The aux map is the last map; its mask is the above-mean cells AND the component, so its parts
    # equal the last map's, halved. The mirrored map selects the mirrored pair with the same values.
    batch = create_method("scda_flip").describe(FeatureMapBackbone(), SCDA_MAP)
    image_parts = np.concatenate([SCDA_AVERAGE, SCDA_MAXIMUM, 0.5 * SCDA_AVERAGE, 0.5 * SCDA_MAXIMUM])
    expected = np.concatenate([image_parts, image_parts]) / math.sqrt(5.0)
    np.testing.assert_allclose(batch.descriptors.numpy()[0], expected, rtol=1e-6)


def test_scda_empty_selection_is_zero() -> None:
    batch = create_method("scda").describe(FeatureMapBackbone(), torch.zeros(1, 2, 3, 3))
    assert batch.descriptors.abs().sum().item() == 0.0
    assert np.isnan(batch.boxes[0]).all()


@pytest.mark.parametrize("method_id", ["mac", "spoc", "gem", "rmac", "crow"])
def test_pooling_methods_unit_norm(method_id: str) -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(3, 4, 5, 5, generator=generator)
    batch = create_method(method_id).describe(FeatureMapBackbone(), x)
    np.testing.assert_allclose(batch.descriptors.norm(dim=1).numpy(), np.ones(3), rtol=1e-5)
    assert batch.boxes is None


@pytest.mark.parametrize("method_id", ["mac", "spoc", "gem", "rmac", "crow", "scda", "scda_flip"])
def test_explain_gives_maps(method_id: str) -> None:
    x = SCDA_MAP + 0.1
    explanation = create_method(method_id).explain(FeatureMapBackbone(), x)
    assert explanation.saliency.shape == (3, 3)
    assert explanation.spatial_weights.shape == (3, 3)
    assert explanation.channel_weights.shape == (2,)
    assert explanation.saliency.min() >= 0.0
    assert explanation.saliency.max() <= 1.0
    if METHODS[method_id].localizes:
        assert explanation.mask is not None
        assert explanation.box is not None


def test_baselines_registered() -> None:
    for method_id in ("mac", "spoc", "gem", "rmac", "crow", "scda", "scda_flip"):
        assert method_id in METHODS
