"""Registry of CNN backbones: torchvision builders, their feature layers and preprocessing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch.nn as nn
from torchvision import models
from torchvision.models import WeightsEnum

from fgir.errors import UnknownNameError, msg

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_INPUT_SIZE = 224


@dataclass(frozen=True)
class BackboneSpec:
    """A backbone: how to build it, which weights it uses and which feature maps it exposes.

    ``feature_node`` is the last post-ReLU feature map X; ``aux_feature_node`` is an earlier
    post-ReLU map that some methods fuse (SCDA's relu5_2 on VGG-16), or None.
    Node names are torchvision feature-extraction node names.
    """

    id: str
    display_name: str
    builder: Callable[..., nn.Module]
    feature_node: str
    aux_feature_node: str | None
    imagenet_weights: WeightsEnum | None
    # Keys a full checkpoint may have that the feature layers do not use (classifier heads).
    head_prefixes: tuple[str, ...] = ()
    offline_weights: bool = False
    # Conv layers whose kernel gradients the kpga method aggregates: the last conv of the last two stages.
    gradient_layers: tuple[str, ...] = ()
    input_size: int = DEFAULT_INPUT_SIZE
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    notes: str = field(default="", compare=False)

    @property
    def preprocessing_id(self) -> str:
        """Text identifying the preprocessing, part of every gallery cache key."""
        return f"resize{self.input_size}x{self.input_size}-bilinear-antialias-mean{self.mean}-std{self.std}"


BACKBONES: dict[str, BackboneSpec] = {}


def register_backbone(spec: BackboneSpec) -> BackboneSpec:
    if spec.id in BACKBONES:
        raise ValueError(f"Backbone {spec.id!r} is registered twice")
    BACKBONES[spec.id] = spec
    return spec


def get_backbone_spec(backbone_id: str) -> BackboneSpec:
    try:
        return BACKBONES[backbone_id]
    except KeyError:
        known = ", ".join(sorted(BACKBONES))
        raise UnknownNameError(msg("backbones.unknown", backbone=backbone_id, known=known)) from None


register_backbone(
    BackboneSpec(
        id="mobilenet_v2",
        display_name="MobileNetV2 (offline ImageNet weights)",
        builder=models.mobilenet_v2,
        # features.18 is the final 1x1 conv + BN + ReLU6: 1280 x 7 x 7 at 224 px.
        feature_node="features.18",
        # Expansion conv + BN + ReLU6 of block 14: 576 x 14 x 14, the stride-16 map before the
        # last downsampling, playing the role of VGG-16's relu5_2 at twice the final resolution.
        aux_feature_node="features.14.conv.0",
        imagenet_weights=models.MobileNet_V2_Weights.IMAGENET1K_V1,
        head_prefixes=("classifier.",),
        offline_weights=True,
        # features.17.conv.2: the 1x1 projection of the last stride-32 block before features.18;
        # features.18.0: the final 1x1 conv (320 -> 1280).
        gradient_layers=("features.17.conv.2", "features.18.0"),
    )
)
register_backbone(
    BackboneSpec(
        id="resnet18",
        display_name="ResNet-18",
        builder=models.resnet18,
        feature_node="layer4",
        aux_feature_node="layer4.0.relu_1",
        imagenet_weights=models.ResNet18_Weights.IMAGENET1K_V1,
        head_prefixes=("fc.",),
        gradient_layers=("layer3.1.conv2", "layer4.1.conv2"),
    )
)
register_backbone(
    BackboneSpec(
        id="resnet50",
        display_name="ResNet-50",
        builder=models.resnet50,
        feature_node="layer4",
        aux_feature_node="layer4.1.relu_2",
        imagenet_weights=models.ResNet50_Weights.IMAGENET1K_V2,
        head_prefixes=("fc.",),
        gradient_layers=("layer3.5.conv3", "layer4.2.conv3"),
    )
)
register_backbone(
    BackboneSpec(
        id="vgg16",
        display_name="VGG-16",
        builder=models.vgg16,
        feature_node="features.30",  # pool5
        aux_feature_node="features.27",  # relu5_2
        imagenet_weights=models.VGG16_Weights.IMAGENET1K_V1,
        head_prefixes=("classifier.",),
        gradient_layers=("features.21", "features.28"),  # conv4_3, conv5_3
    )
)
