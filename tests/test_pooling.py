"""Masked average and max pooling over selected positions only, on hand-made maps."""

from __future__ import annotations

import torch

from fgir.pooling import average_pool, l2_normalize, masked_average_pool, masked_max_pool, max_pool


def _two_channel_map() -> torch.Tensor:
    """[1, 2, 2, 2]: channel 0 is [[1, 2], [3, 4]], channel 1 is [[10, 0], [0, 20]]."""
    return torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[10.0, 0.0], [0.0, 20.0]]]])


DIAGONAL = torch.tensor([[[True, False], [False, True]]])
TOP_LEFT = torch.tensor([[[True, False], [False, False]]])
NOTHING = torch.zeros(1, 2, 2, dtype=torch.bool)


def test_average_pool_all_positions() -> None:
    assert torch.allclose(average_pool(_two_channel_map()), torch.tensor([[2.5, 7.5]]))


def test_max_pool_all_positions() -> None:
    assert torch.equal(max_pool(_two_channel_map()), torch.tensor([[4.0, 20.0]]))


def test_masked_average_divides_by_selected() -> None:
    # Selected (0, 0) and (1, 1): channel 0 (1 + 4) / 2, channel 1 (10 + 20) / 2. Dividing by all 4 would halve them.
    pooled = masked_average_pool(_two_channel_map(), DIAGONAL)

    assert torch.allclose(pooled, torch.tensor([[2.5, 15.0]]))


def test_masked_average_ignores_unselected() -> None:
    pooled = masked_average_pool(_two_channel_map(), TOP_LEFT)

    assert torch.allclose(pooled, torch.tensor([[1.0, 10.0]]))


def test_masked_average_nothing_selected() -> None:
    pooled = masked_average_pool(_two_channel_map(), NOTHING)

    assert torch.isfinite(pooled).all()
    assert torch.equal(pooled, torch.zeros(1, 2))


def test_masked_max_ignores_unselected() -> None:
    # The unselected maxima (4 in channel 0, 20 in channel 1) must not leak in.
    pooled = masked_max_pool(_two_channel_map(), TOP_LEFT)

    assert torch.equal(pooled, torch.tensor([[1.0, 10.0]]))


def test_masked_max_nothing_selected() -> None:
    pooled = masked_max_pool(_two_channel_map(), NOTHING)

    assert torch.isfinite(pooled).all()
    assert torch.equal(pooled, torch.zeros(1, 2))


def test_masked_pools_per_image_masks() -> None:
    feature_map = torch.cat([_two_channel_map(), _two_channel_map()])
    mask = torch.cat([DIAGONAL, TOP_LEFT])

    average = masked_average_pool(feature_map, mask)
    maximum = masked_max_pool(feature_map, mask)

    assert torch.allclose(average, torch.tensor([[2.5, 15.0], [1.0, 10.0]]))
    assert torch.equal(maximum, torch.tensor([[4.0, 20.0], [1.0, 10.0]]))


def test_l2_normalize_rows() -> None:
    normalized = l2_normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))

    assert torch.allclose(normalized[0], torch.tensor([0.6, 0.8]))
    assert torch.equal(normalized[1], torch.zeros(2))
