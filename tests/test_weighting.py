"""CroW weights on small feature maps, checked against values computed by hand."""

from __future__ import annotations

import math

import torch

from fgir.weighting import aggregation_map, channel_weights, crow_weighted_map, spatial_weights


def _three_channel_map() -> torch.Tensor:
    """[1, 3, 2, 2]: channel 0 non-zero at 2 of 4 positions, channel 1 at all 4, channel 2 all zero."""
    return torch.tensor(
        [
            [
                [[1.0, 0.0], [0.0, 3.0]],
                [[2.0, 2.0], [2.0, 2.0]],
                [[0.0, 0.0], [0.0, 0.0]],
            ]
        ]
    )


def test_aggregation_map_sums_channels() -> None:
    expected = torch.tensor([[[3.0, 2.0], [2.0, 5.0]]])

    assert torch.equal(aggregation_map(_three_channel_map()), expected)


def test_spatial_weights_hand_computed() -> None:
    # A = [[3, 2], [2, 5]], ||A||_2 = sqrt(9 + 4 + 4 + 25) = sqrt(42), S = sqrt(A / sqrt(42)).
    norm = math.sqrt(42.0)
    expected = torch.tensor([[[3.0, 2.0], [2.0, 5.0]]]).div(norm).sqrt()

    weights = spatial_weights(_three_channel_map())

    assert weights.shape == (1, 2, 2)
    assert torch.allclose(weights, expected, atol=1e-6)


def test_spatial_weights_per_image_scale_free() -> None:
    # Each image is normalized by its own norm, so a scaled copy in the same batch gets equal weights.
    single = _three_channel_map()
    batch = torch.cat([single, 10.0 * single])

    weights = spatial_weights(batch)

    assert torch.allclose(weights[0], weights[1], atol=1e-6)


def test_spatial_weights_zero_map() -> None:
    weights = spatial_weights(torch.zeros(1, 4, 3, 3))

    assert torch.isfinite(weights).all()
    assert torch.equal(weights, torch.zeros(1, 3, 3))


def test_channel_weights_hand_computed() -> None:
    # Q = [0.5, 1.0, 0.0], sum Q = 1.5: w0 = log(1.5 / 0.5) = log 3, w1 = log(1.5 / 1) = log 1.5.
    weights = channel_weights(_three_channel_map())

    assert weights.shape == (1, 3)
    assert math.isclose(weights[0, 0].item(), math.log(3.0), rel_tol=1e-6)
    assert math.isclose(weights[0, 1].item(), math.log(1.5), rel_tol=1e-6)


def test_channel_weights_zero_channel() -> None:
    # Q_c = 0 gets weight 0. An epsilon in the denominator would instead make it the largest weight.
    weights = channel_weights(_three_channel_map())

    assert weights[0, 2].item() == 0.0


def test_channel_weights_zero_map() -> None:
    weights = channel_weights(torch.zeros(2, 5, 3, 3))

    assert torch.isfinite(weights).all()
    assert torch.equal(weights, torch.zeros(2, 5))


def test_crow_weighted_map_hand_computed() -> None:
    feature_map = _three_channel_map()

    weighted, spatial, channel = crow_weighted_map(feature_map)

    # X'[c, i, j] = w_c * S[i, j] * X[c, i, j]. At channel 0, position (1, 1): log 3 * sqrt(5 / sqrt 42) * 3.
    expected_corner = math.log(3.0) * math.sqrt(5.0 / math.sqrt(42.0)) * 3.0
    assert weighted.shape == feature_map.shape
    assert math.isclose(weighted[0, 0, 1, 1].item(), expected_corner, rel_tol=1e-5)
    assert torch.equal(weighted[0, 2], torch.zeros(2, 2))
    assert torch.allclose(weighted, feature_map * spatial[:, None] * channel[:, :, None, None])
