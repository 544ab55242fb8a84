"""Classic aggregations of a [B, C, H, W] feature map into [B, C] descriptors; every function is pure.

Each function returns the unnormalized vector; the methods in ``fgir.methods`` L2-normalize it.
Sources of the definitions:

- SPoC: Babenko, Lempitsky, "Aggregating Deep Convolutional Features for Image Retrieval", ICCV 2015.
- GeM: Radenović, Tolias, Chum, "Fine-tuning CNN Image Retrieval with No Human Annotation", TPAMI 2018.
- R-MAC: Tolias, Sicre, Jégou, "Particular Object Retrieval with Integral Max-Pooling of CNN
  Activations", ICLR 2016.
- CroW: see ``fgir.weighting``.
"""

from __future__ import annotations

import math

import torch

from fgir.pooling import l2_normalize
from fgir.weighting import crow_weighted_map

# SPoC's centre prior: sigma is one third of the distance from the centre to the nearest border.
SPOC_SIGMA_FRACTION = 1.0 / 6.0  # of min(H, W)
GEM_POWER = 3.0
GEM_CLAMP = 1e-6
RMAC_LEVELS = 3
RMAC_OVERLAP = 0.4
# Largest number of extra regions tried along the longer side of a non-square map.
RMAC_MAX_EXTRA_REGIONS = 6

Region = tuple[int, int, int, int]  # (y0, x0, y1, x1) in feature-map cells, end-exclusive


def gaussian_center_prior(height: int, width: int, sigma: float | None = None) -> torch.Tensor:
    """Compute SPoC's [H, W] weights exp(-d² / 2σ²), d = distance of a cell centre from the map centre.

    Cell (i, j) has its centre at (i + 0.5, j + 0.5) and the map centre is (H / 2, W / 2), so
    the prior is symmetric. ``sigma`` defaults to min(H, W) / 6 in cells. The peak is 1, not a
    normalized density.
    """
    if sigma is None:
        sigma = min(height, width) * SPOC_SIGMA_FRACTION
    rows = torch.arange(height, dtype=torch.float64) + 0.5 - height / 2.0
    cols = torch.arange(width, dtype=torch.float64) + 0.5 - width / 2.0
    squared_distance = rows[:, None] ** 2 + cols[None, :] ** 2
    return torch.exp(-squared_distance / (2.0 * sigma**2)).float()


def spoc_pool(feature_map: torch.Tensor) -> torch.Tensor:
    """Sum-pool with the Gaussian centre prior (SPoC with centring): [B, C, H, W] -> [B, C]."""
    height, width = feature_map.shape[-2:]
    prior = gaussian_center_prior(height, width).to(feature_map.dtype)
    return (feature_map * prior).sum(dim=(2, 3))


def gem_pool(feature_map: torch.Tensor, power: float = GEM_POWER, clamp: float = GEM_CLAMP) -> torch.Tensor:
    """Generalized mean (mean of x^p)^(1/p) over positions, x clamped below at ``clamp``: [B, C, H, W] -> [B, C]."""
    return feature_map.clamp_min(clamp).pow(power).mean(dim=(2, 3)).pow(1.0 / power)


def crow_pool(feature_map: torch.Tensor) -> torch.Tensor:
    """Sum the CroW-weighted map w ⊙ S ⊙ X over positions: [B, C, H, W] -> [B, C]."""
    weighted, _, _ = crow_weighted_map(feature_map)
    return weighted.sum(dim=(2, 3))


def _region_starts(length: int, side: int, count: int) -> list[int]:
    """Place ``count`` windows of ``side`` cells evenly over ``length`` cells, first at 0 and last at the end."""
    if count <= 1:
        return [(length - side) // 2]
    step = (length - side) / (count - 1)
    # Round half up, not to even, so that starts move the same way at every position.
    return sorted({math.floor(index * step + 0.5) for index in range(count)})


def _extra_long_side_regions(short: int, long: int, overlap: float) -> int:
    """Pick how many squares of side ``short`` beyond one cover the long side with overlap closest to ``overlap``."""
    if long == short:
        return 0
    best_extra, best_gap = 1, math.inf
    for extra in range(1, RMAC_MAX_EXTRA_REGIONS + 1):
        step = (long - short) / extra
        gap = abs((short - step) / short - overlap)
        if gap < best_gap:
            best_extra, best_gap = extra, gap
    return best_extra


def rmac_regions(height: int, width: int, levels: int = RMAC_LEVELS, overlap: float = RMAC_OVERLAP) -> list[Region]:
    """List R-MAC's square regions on an H x W map, whole map first, without duplicates.

    Level l has squares of side floor(2 min(H, W) / (l + 1)) cells: l along the shorter side and
    l + m along the longer side, evenly spaced from border to border. ``m`` is chosen once, so that
    consecutive level-1 squares along the longer side overlap by the fraction closest to
    ``overlap``, and is 0 for a square map. The whole map is always a region; on a square map it is
    the level-1 region itself and appears once.
    """
    if height < 1 or width < 1 or levels < 1:
        raise ValueError(f"Invalid R-MAC grid {height}x{width} with {levels} levels; all must be positive.")
    short, long = min(height, width), max(height, width)
    extra = _extra_long_side_regions(short, long, overlap)
    regions: list[Region] = [(0, 0, height, width)]
    for level in range(1, levels + 1):
        side = max(1, (2 * short) // (level + 1))
        short_count, long_count = level, level + extra
        row_count, col_count = (short_count, long_count) if height <= width else (long_count, short_count)
        for y0 in _region_starts(height, side, row_count):
            for x0 in _region_starts(width, side, col_count):
                region = (y0, x0, y0 + side, x0 + side)
                if region not in regions:
                    regions.append(region)
    return regions


def rmac_pool(feature_map: torch.Tensor, levels: int = RMAC_LEVELS) -> torch.Tensor:
    """Sum the L2-normalized max-pooled vectors of the R-MAC regions: [B, C, H, W] -> [B, C]."""
    height, width = feature_map.shape[-2:]
    total = torch.zeros(feature_map.shape[:2], dtype=feature_map.dtype, device=feature_map.device)
    for y0, x0, y1, x1 in rmac_regions(height, width, levels):
        region_max = feature_map[:, :, y0:y1, x0:x1].amax(dim=(2, 3))
        total = total + l2_normalize(region_max)
    return total
