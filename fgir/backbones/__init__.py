"""Backbones: registry of torchvision CNNs and the loader of their weights and feature maps."""

from fgir.backbones.loader import (
    RANDOM_WEIGHTS_LABEL,
    Backbone,
    FeatureMaps,
    build_backbone,
    load_backbone,
)
from fgir.backbones.registry import BACKBONES, BackboneSpec, get_backbone_spec

__all__ = [
    "BACKBONES",
    "RANDOM_WEIGHTS_LABEL",
    "Backbone",
    "BackboneSpec",
    "FeatureMaps",
    "build_backbone",
    "get_backbone_spec",
    "load_backbone",
]
