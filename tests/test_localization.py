"""Mean-threshold mask, largest 8-connected component and box helpers, on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fgir.localization import (
    box_iou,
    box_to_pixels,
    largest_component,
    largest_component_masks,
    mask_to_box,
    mean_threshold_mask,
    upsample_mask,
)


def _mask(rows: list[str]) -> np.ndarray:
    """Build a bool mask from strings where '#' is selected and '.' is not."""
    return np.array([[char == "#" for char in row] for row in rows])


def test_mean_threshold_strictly_above() -> None:
    # Mean of [1, 2, 3, 6] is 3: position (1, 0) equals the mean and is not selected.
    aggregation = torch.tensor([[[1.0, 2.0], [3.0, 6.0]]])

    mask = mean_threshold_mask(aggregation)

    assert mask.dtype == torch.bool
    assert torch.equal(mask, torch.tensor([[[False, False], [False, True]]]))


def test_mean_threshold_per_image() -> None:
    # Image 0 has mean 2.5, image 1 has mean 25: each uses its own mean.
    aggregation = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[10.0, 20.0], [30.0, 40.0]]])

    mask = mean_threshold_mask(aggregation)

    expected = torch.tensor([[[False, False], [True, True]], [[False, False], [True, True]]])
    assert torch.equal(mask, expected)


def test_mean_threshold_constant_map() -> None:
    mask = mean_threshold_mask(torch.full((1, 3, 3), 7.0))

    assert not mask.any()


def test_largest_component_diagonal_connects() -> None:
    # The diagonal of 3 cells is one 8-connected component. Under 4-connectivity the pair would win.
    mask = _mask(
        [
            "#...##",
            ".#....",
            "..#...",
        ]
    )

    kept = largest_component(mask)

    assert np.array_equal(kept, _mask(["#.....", ".#....", "..#..."]))


def test_largest_component_tie_row_major() -> None:
    # Two components of 2 cells: the one whose first cell comes first in row-major order wins,
    # although the other one starts further left.
    mask = _mask(
        [
            "...##.",
            "#.....",
            "#.....",
        ]
    )

    kept = largest_component(mask)

    assert np.array_equal(kept, _mask(["...##.", "......", "......"]))


def test_largest_component_empty_mask() -> None:
    mask = np.zeros((3, 4), dtype=bool)

    kept = largest_component(mask)

    assert kept.shape == (3, 4)
    assert kept.dtype == bool
    assert not kept.any()


def test_largest_component_masks_batch() -> None:
    first = _mask(["##.#", "....", "#..."])
    second = _mask(["....", "....", "...."])
    batch = torch.from_numpy(np.stack([first, second]))

    kept = largest_component_masks(batch)

    assert kept.dtype == torch.bool
    assert torch.equal(kept[0], torch.from_numpy(_mask(["##..", "....", "...."])))
    assert not kept[1].any()


def test_upsample_mask_nearest() -> None:
    mask = torch.tensor([[[True, False], [False, True]]])

    upsampled = upsample_mask(mask, (4, 4))

    expected = torch.tensor(
        [[[True, True, False, False], [True, True, False, False], [False, False, True, True], [False, False, True, True]]]
    )
    assert torch.equal(upsampled, expected)


def test_mask_to_box_whole_cells() -> None:
    # Rows 1-2 and columns 2-5 of a 4 x 8 map: x from 2/8 to 6/8, y from 1/4 to 3/4.
    mask = _mask(
        [
            "........",
            "..#..#..",
            "...##...",
            "........",
        ]
    )

    box = mask_to_box(mask)

    assert box is not None
    assert np.allclose(box, [0.25, 0.25, 0.75, 0.75])


def test_mask_to_box_single_cell() -> None:
    mask = np.zeros((7, 7), dtype=bool)
    mask[0, 6] = True

    box = mask_to_box(mask)

    assert box is not None
    assert np.allclose(box, [6 / 7, 0.0, 1.0, 1 / 7])


def test_mask_to_box_empty() -> None:
    assert mask_to_box(np.zeros((3, 3), dtype=bool)) is None


def test_box_to_pixels_scales_axes() -> None:
    pixels = box_to_pixels(np.array([0.25, 0.25, 0.75, 1.0]), image_width=400, image_height=200)

    assert np.allclose(pixels, [100.0, 50.0, 300.0, 200.0])


@pytest.mark.parametrize(
    ("box_a", "box_b", "expected"),
    [
        ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),  # intersection 1, union 4 + 4 - 1
        ([0, 0, 4, 4], [1, 1, 3, 3], 4 / 16),  # contained
        ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),  # identical
        ([0, 0, 2, 2], [2, 0, 4, 2], 0.0),  # touching edges only
        ([0, 0, 1, 1], [5, 5, 6, 6], 0.0),  # disjoint
        ([1, 1, 1, 3], [0, 0, 2, 2], 0.0),  # zero width
    ],
    ids=["overlap", "contained", "identical", "touching", "disjoint", "zero-area"],
)
def test_box_iou_cases(box_a: list[float], box_b: list[float], expected: float) -> None:
    assert box_iou(np.array(box_a, dtype=float), np.array(box_b, dtype=float)) == pytest.approx(expected)


def test_box_iou_both_empty() -> None:
    empty = np.array([1.0, 1.0, 1.0, 1.0])

    assert box_iou(empty, empty) == 0.0
