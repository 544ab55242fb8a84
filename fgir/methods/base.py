"""Base class and registry of retrieval methods.

A method turns a batch of preprocessed images into L2-normalized descriptors, optionally with a
localized box per image, and explains one image with weighting maps and a saliency map.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from fgir.backbones import Backbone
from fgir.errors import UnknownNameError, msg


@dataclass
class DescriptorBatch:
    """Descriptors [B, D] (float32, L2-normalized) and boxes [B, 4] or None.

    Boxes are [x0, y0, x1, y1] fractions of the image width and height; a row of NaN marks an
    image where nothing was selected.
    """

    descriptors: torch.Tensor
    boxes: np.ndarray | None


@dataclass
class Explanation:
    """Maps that explain one image; every [h, w] map is on the last feature map's grid."""

    spatial_weights: np.ndarray  # [h, w] CroW spatial weights
    channel_weights: np.ndarray  # [C] CroW channel weights
    saliency: np.ndarray  # [h, w] in [0, 1]
    mask: np.ndarray | None = None  # [h, w] bool, the selected positions
    box: np.ndarray | None = None  # [4] fractional box
    regions: np.ndarray | None = None  # [R, 4] fractional boxes of the local regions a hashing method pools
    code: np.ndarray | None = None  # [K] int8 binary code of ±1


class RetrievalMethod(ABC):
    """A retrieval method over a backbone's feature maps."""

    id: ClassVar[str]
    display_name: ClassVar[str]
    # Bump when the descriptor math changes: it is part of every gallery cache key.
    version: ClassVar[str] = "1"
    localizes: ClassVar[bool] = False
    # True for methods that need a backward pass per image; the UI warns before indexing with them.
    slow: ClassVar[bool] = False
    # True for hashing methods: descriptors are ±1 codes (not L2-normalized), ranked by Hamming distance.
    binary_codes: ClassVar[bool] = False

    def options(self) -> dict[str, Any]:
        """Options that change the descriptor; they enter the cache key."""
        return {}

    @property
    def cache_id(self) -> str:
        parts = [f"{self.id}-v{self.version}"] + [f"{key}={value}" for key, value in sorted(self.options().items())]
        return ",".join(parts)

    @abstractmethod
    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        """Compute descriptors of a preprocessed [B, 3, S, S] batch."""

    @abstractmethod
    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        """Compute the maps that explain one preprocessed [1, 3, S, S] image."""

    def similarity_descriptor(self, feature_map: torch.Tensor) -> torch.Tensor:
        """Map a [1, C, H, W] last feature map to a differentiable [1, D] descriptor for match saliency.

        The default is the L2-normalized average pooling; methods whose descriptor is a
        differentiable function of the last map (with masks held constant) override it.
        """
        return F.normalize(feature_map.mean(dim=(2, 3)), dim=1)

    def describe_and_explain(self, backbone: Backbone, image: torch.Tensor) -> tuple[DescriptorBatch, Explanation]:
        """Describe and explain one [1, 3, S, S] image, as a query needs both.

        This default runs the backbone twice; methods override it to share one forward pass.
        """
        return self.describe(backbone, image), self.explain(backbone, image)


METHODS: dict[str, type[RetrievalMethod]] = {}


def register_method(cls: type[RetrievalMethod]) -> type[RetrievalMethod]:
    if cls.id in METHODS:
        raise ValueError(f"Method {cls.id!r} is registered twice")
    METHODS[cls.id] = cls
    return cls


def create_method(method_id: str, **options: Any) -> RetrievalMethod:
    try:
        cls = METHODS[method_id]
    except KeyError:
        known = ", ".join(sorted(METHODS))
        raise UnknownNameError(msg("retrieval.unknown_method", method_id=method_id, choices=known)) from None
    return cls(**options)
