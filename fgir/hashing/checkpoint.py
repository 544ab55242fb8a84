"""Hash checkpoints: plain tensors plus JSON metadata in one ``torch.save`` file.

The file contains ``{"format": 1, "metadata": <JSON text>, "tensors": {name: tensor}}`` and is read
with ``torch.load(weights_only=True)``, so loading never runs pickled code. Tensors by model:

- ``hash-network``: ``network.<parameter>`` (the :class:`~fgir.hashing.network.HashNetwork`
  state dict), ``centers`` int8 [n, K] and ``center_labels`` int64 [n] (class id of each center).
- ``itq``: ``itq.mean`` [C], ``itq.projection`` [C, K] and ``itq.rotation`` [K, K], all float64.

The metadata names the backbone, its weights id and preprocessing, the code length, the region
layout, the class ids and names, the training set's fingerprint, the seed, the epochs and the best
validation mAP (see :func:`fgir.hashing.training.checkpoint_metadata`). A checkpoint only works
with the backbone and weights it was trained on: :func:`check_backbone_match` rejects any other.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from fgir.backbones import Backbone
from fgir.backbones.loader import is_torch_file, short_load_error
from fgir.errors import FgirError, Message, msg
from fgir.files import sha256_of

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
CHECKPOINT_SUFFIX = ".pt"
CHECKPOINT_DIR_ENV = "FGIR_CHECKPOINT_DIR"
DEFAULT_CHECKPOINT_DIR = Path(__file__).resolve().parent.parent.parent / "checkpoints"
MODEL_NETWORK = "hash-network"
MODEL_ITQ = "itq"
MODELS = (MODEL_NETWORK, MODEL_ITQ)
REQUIRED_METADATA = (
    "model",
    "backbone",
    "weights",
    "preprocessing",
    "bits",
    "regions",
    "channels",
    "class_ids",
    "training",
)
TRAIN_COMMAND = "python -m fgir train-hash"


class CheckpointError(FgirError):
    """A hash checkpoint is missing, unreadable, malformed or does not fit the chosen backbone."""


@dataclass
class HashCheckpoint:
    """A loaded hash checkpoint: its metadata, its tensors and the file it came from."""

    metadata: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    path: Path | None = None
    digest: str = ""  # sha256 of the file; part of the gallery cache key of the codes

    @property
    def model(self) -> str:
        return str(self.metadata["model"])

    @property
    def bits(self) -> int:
        return int(self.metadata["bits"])

    @property
    def regions(self) -> str:
        return str(self.metadata["regions"])

    @property
    def backbone(self) -> str:
        return str(self.metadata["backbone"])

    @property
    def weights(self) -> str:
        return str(self.metadata["weights"])

    def display_name(self) -> Path | Message:
        """Return the file path for messages, or "The checkpoint" when the checkpoint was not loaded from a file."""
        return self.path if self.path else msg("hashing.unnamed_checkpoint")


def resolve_checkpoint_dir(folder: str | Path | None = None) -> Path:
    """Pick the checkpoint folder: the argument, else ``$FGIR_CHECKPOINT_DIR``, else the repository's checkpoints/."""
    chosen = folder or os.environ.get(CHECKPOINT_DIR_ENV) or DEFAULT_CHECKPOINT_DIR
    return Path(chosen).expanduser()


def save_checkpoint(path: str | Path, metadata: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Write a checkpoint atomically (temporary file, then rename) and return its path."""
    path = Path(path)
    _check_payload(metadata, tensors, path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "metadata": json.dumps(metadata, sort_keys=True),
        "tensors": {name: tensor.detach().cpu().contiguous() for name, tensor in tensors.items()},
    }
    staging: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, staging_name = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
        os.close(handle)
        staging = Path(staging_name)
        torch.save(payload, staging)
        os.replace(staging, path)
    except OSError as error:
        if staging is not None:
            staging.unlink(missing_ok=True)
        raise CheckpointError(msg("hashing.checkpoint_write_failed", path=path, error=error)) from error
    logger.info("Wrote checkpoint %s", path)
    return path


def load_checkpoint(path: str | Path) -> HashCheckpoint:
    """Load and validate a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(
            msg("hashing.checkpoint_not_found", path=path, command=TRAIN_COMMAND, folder=resolve_checkpoint_dir())
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as error:
        raise CheckpointError(msg("hashing.checkpoint_read_failed", path=path, error=error)) from error
    except Exception as error:  # torch raises several types for a truncated or foreign file.
        detail = short_load_error(error)
        if is_torch_file(path):
            raise CheckpointError(
                msg("hashing.checkpoint_unreadable", path=path, command=TRAIN_COMMAND, detail=detail)
            ) from error
        raise CheckpointError(
            msg("hashing.checkpoint_not_torch", path=path, command=TRAIN_COMMAND, detail=detail)
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(
            msg(
                "hashing.checkpoint_wrong_format",
                path=path,
                format=CHECKPOINT_FORMAT,
                found=found,
                command=TRAIN_COMMAND,
            )
        )
    try:
        metadata = json.loads(payload["metadata"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(
            msg("hashing.checkpoint_bad_metadata", path=path, error=error, command=TRAIN_COMMAND)
        ) from error
    tensors = payload.get("tensors")
    if not isinstance(tensors, dict):
        raise CheckpointError(msg("hashing.checkpoint_no_tensors", path=path, command=TRAIN_COMMAND))
    _check_payload(metadata, tensors, path)
    return HashCheckpoint(metadata, tensors, path, sha256_of(path))


def _check_payload(metadata: dict[str, Any], tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Raise :class:`CheckpointError` unless the metadata and tensors are complete and consistent."""
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise CheckpointError(
            msg("hashing.checkpoint_missing_metadata", path=path, missing=", ".join(missing), command=TRAIN_COMMAND)
        )
    if metadata["model"] not in MODELS:
        raise CheckpointError(
            msg("hashing.checkpoint_unknown_model", path=path, model=metadata["model"], models=", ".join(MODELS))
        )
    bits = int(metadata["bits"])
    if metadata["model"] == MODEL_NETWORK:
        required = {"centers": 2, "center_labels": 1}
        if not any(name.startswith("network.") for name in tensors):
            raise CheckpointError(msg("hashing.checkpoint_no_network", path=path, command=TRAIN_COMMAND))
    else:
        required = {"itq.mean": 1, "itq.projection": 2, "itq.rotation": 2}
    for name, ndim in required.items():
        tensor = tensors.get(name)
        if not isinstance(tensor, torch.Tensor) or tensor.ndim != ndim:
            raise CheckpointError(msg("hashing.checkpoint_bad_tensor", path=path, name=name, ndim=ndim))
    last_dim = tensors["centers"].shape[1] if metadata["model"] == MODEL_NETWORK else tensors["itq.rotation"].shape[1]
    if last_dim != bits:
        raise CheckpointError(msg("hashing.checkpoint_bits_mismatch", path=path, bits=bits, tensor_bits=last_dim))


def check_backbone_match(checkpoint: HashCheckpoint, backbone: Backbone) -> None:
    """Raise :class:`CheckpointError` unless ``backbone`` has the id, weights and preprocessing of the training run."""
    expected = (checkpoint.backbone, checkpoint.weights)
    actual = (backbone.id, backbone.weights_id)
    if expected != actual:
        raise CheckpointError(
            msg(
                "hashing.checkpoint_backbone_mismatch",
                name=checkpoint.display_name(),
                trained_backbone=checkpoint.backbone,
                trained_weights=checkpoint.weights,
                backbone=backbone.id,
                weights=backbone.weights_id,
                command=TRAIN_COMMAND,
            )
        )
    if checkpoint.metadata["preprocessing"] != backbone.spec.preprocessing_id:
        raise CheckpointError(
            msg(
                "hashing.checkpoint_preprocessing_mismatch",
                name=checkpoint.display_name(),
                trained_preprocessing=checkpoint.metadata["preprocessing"],
                backbone=backbone.id,
                preprocessing=backbone.spec.preprocessing_id,
                command=TRAIN_COMMAND,
            )
        )


@dataclass(frozen=True)
class CheckpointSummary:
    """Summary of one checkpoint file, as a checkpoint picker shows it."""

    path: Path
    model: str
    bits: int
    regions: str
    backbone: str
    weights: str
    classes: int
    best_validation_map: float | None


def list_checkpoints(folder: str | Path | None = None) -> list[CheckpointSummary]:
    """List the readable hash checkpoints in ``folder`` (default: ``checkpoints/``), sorted by file name.

    Unreadable or foreign ``*.pt`` files are skipped with a warning; a missing folder gives [].
    """
    root = resolve_checkpoint_dir(folder)
    if not root.is_dir():
        return []
    summaries = []
    for path in sorted(root.glob(f"*{CHECKPOINT_SUFFIX}")):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            logger.warning("Skipping %s: %s", path, error)
            continue
        best = checkpoint.metadata["training"].get("best_validation_map")
        summaries.append(
            CheckpointSummary(
                path=path,
                model=checkpoint.model,
                bits=checkpoint.bits,
                regions=checkpoint.regions,
                backbone=checkpoint.backbone,
                weights=checkpoint.weights,
                classes=len(checkpoint.metadata["class_ids"]),
                best_validation_map=best if isinstance(best, float) else None,
            )
        )
    return summaries
