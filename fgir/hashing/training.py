"""Training of hash checkpoints on cached features: the supervised hash network and the ITQ baseline.

A part of each class's training images is held out for validation, never the test split. The
validation images query the rest of the training images by Hamming ranking, scored by mAP over
the whole ranking. The hash network keeps the parameters of its best
validation epoch, and training stops early after ``patience`` epochs without improvement.
Results are reproducible for a given seed on one machine and thread count.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from fgir import __version__
from fgir.evaluation.protocol import holdout_query_mask
from fgir.hashing.centers import HashCenters, generate_hash_centers
from fgir.hashing.checkpoint import MODEL_ITQ, MODEL_NETWORK, HashCheckpoint
from fgir.hashing.codes import binarize, hamming_map
from fgir.hashing.encoder import NETWORK_PREFIX, HashEncoder
from fgir.hashing.features import FeatureSet
from fgir.hashing.itq import DEFAULT_ITERATIONS, fit_itq
from fgir.hashing.loss import DEFAULT_QUANTIZATION_WEIGHT, central_similarity_loss
from fgir.hashing.network import DEFAULT_DROPOUT, DEFAULT_EMBEDDING, HashNetwork
from fgir.hashing.regions import GLOBAL_LAYOUT, parse_region_layout

logger = logging.getLogger(__name__)

DEFAULT_EPOCHS = 100
DEFAULT_TRAIN_BATCH = 64
DEFAULT_LEARNING_RATE = 1e-3
DEFAULT_WEIGHT_DECAY = 1e-4
DEFAULT_VALIDATION_FRACTION = 0.1
DEFAULT_PATIENCE = 15
DEFAULT_SEED = 0
# Images per forward pass when computing codes for validation; only a memory setting.
_ENCODE_BATCH = 1024

EpochCallback = Callable[[int, dict[str, float]], None]  # (epoch, statistics of that epoch)


@dataclass
class TrainingConfig:
    """Settings of one hash-network training run; every field is stored in the checkpoint."""

    bits: int
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = DEFAULT_TRAIN_BATCH
    learning_rate: float = DEFAULT_LEARNING_RATE
    weight_decay: float = DEFAULT_WEIGHT_DECAY
    embedding: int = DEFAULT_EMBEDDING
    dropout: float = DEFAULT_DROPOUT
    quantization_weight: float = DEFAULT_QUANTIZATION_WEIGHT
    patience: int = DEFAULT_PATIENCE  # epochs without a better validation mAP before stopping; 0 never stops early
    seed: int = DEFAULT_SEED


@dataclass
class TrainingSource:
    """Provenance of the training features, written into every checkpoint's metadata."""

    backbone: str
    weights: str
    preprocessing: str
    gallery_fingerprint: str
    gallery: str  # root folder and selection, for people reading the metadata
    class_names: dict[int, str]
    validation_fraction: float
    validation_seed: int


@dataclass
class TrainingOutcome:
    """Result of one run: the kept parameters and how training went."""

    state: dict[str, torch.Tensor]
    best_validation_map: float | None
    best_epoch: int
    epochs_run: int
    interrupted: bool
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def validation_mask(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Choose validation images: bool [N]. A fraction of 0 gives none.

    Each class with n >= 2 images gives round(fraction * n) of them, at least 1 and at most n - 1,
    drawn with a generator seeded by (seed, class id).
    """
    if fraction == 0:
        return np.zeros(len(labels), dtype=bool)
    return holdout_query_mask(labels, fraction, seed)


def encode_feature_set(encoder: HashEncoder | HashNetwork, features: FeatureSet) -> np.ndarray:
    """Compute the ±1 codes int8 [N, K] of a feature set in batches, without gradients."""
    codes = []
    for start in range(0, len(features.labels), _ENCODE_BATCH):
        regions = torch.from_numpy(features.regions[start : start + _ENCODE_BATCH])
        crow = torch.from_numpy(features.crow[start : start + _ENCODE_BATCH])
        with torch.no_grad():
            outputs = encoder(regions) if isinstance(encoder, HashNetwork) else encoder.outputs(regions, crow)
        codes.append(binarize(outputs).to(torch.int8).numpy())
    return np.concatenate(codes) if codes else np.zeros((0, 0), dtype=np.int8)


def _validation_map(network: HashNetwork, train: FeatureSet, validation: FeatureSet) -> float:
    network.eval()
    gallery_codes = encode_feature_set(network, train)
    query_codes = encode_feature_set(network, validation)
    return hamming_map(query_codes, validation.labels, gallery_codes, train.labels)


def _train_epoch(
    network: HashNetwork,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    sample_centers: torch.Tensor,
    config: TrainingConfig,
    generator: torch.Generator,
) -> dict[str, float]:
    """Run one epoch over inputs [N, R, C] in a seeded random order; returns the mean loss terms."""
    network.train()
    totals = np.zeros(3)
    order = torch.randperm(len(inputs), generator=generator)
    for start in range(0, len(order), config.batch_size):
        batch = order[start : start + config.batch_size]
        loss = central_similarity_loss(network(inputs[batch]), sample_centers[batch], config.quantization_weight)
        optimizer.zero_grad()
        loss.total.backward()
        optimizer.step()
        totals += len(batch) * np.array([loss.total.item(), loss.center.item(), loss.quantization.item()])
    return dict(zip(("loss", "center_loss", "quantization_loss"), (totals / len(inputs)).tolist()))


def train_hash_network(
    train: FeatureSet,
    validation: FeatureSet | None,
    centers: HashCenters,
    class_ids: list[int],
    config: TrainingConfig,
    on_epoch: EpochCallback | None = None,
) -> TrainingOutcome:
    """Train a :class:`HashNetwork` towards the class centers and keep its best validation epoch.

    ``centers.centers[i]`` is the center of class ``class_ids[i]``. Without validation images the
    last epoch is kept. A KeyboardInterrupt stops training at once and returns the parameters of
    the best finished epoch with ``interrupted`` set (the initial ones when no epoch finished).
    """
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    network = HashNetwork(train.regions.shape[1], train.channels, config.bits, config.embedding, config.dropout)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    center_index = {label: index for index, label in enumerate(class_ids)}
    sample_centers = torch.from_numpy(centers.centers[[center_index[int(label)] for label in train.labels]]).float()
    inputs = torch.from_numpy(train.regions)
    has_validation = validation is not None and len(validation.labels) > 0

    best_state = copy.deepcopy(network.state_dict())
    best_map: float | None = None
    best_epoch, epochs_run, stale_epochs = 0, 0, 0
    history: list[dict[str, float]] = []
    interrupted = False
    try:
        for epoch in range(1, config.epochs + 1):
            statistics = _train_epoch(network, optimizer, inputs, sample_centers, config, generator)
            epochs_run = epoch
            if has_validation:
                score = _validation_map(network, train, validation)
                statistics["validation_map"] = score
                # NaN (no validation query has a relevant image) never counts as an improvement.
                improved = best_map is None or (not math.isnan(score) and (math.isnan(best_map) or score > best_map))
            else:
                improved = True
            if improved:
                best_state = copy.deepcopy(network.state_dict())
                best_map = statistics.get("validation_map")
                best_epoch, stale_epochs = epoch, 0
            else:
                stale_epochs += 1
            history.append({"epoch": epoch, **statistics})
            if on_epoch:
                on_epoch(epoch, {**statistics, "best_validation_map": best_map if best_map is not None else math.nan})
            if config.patience and stale_epochs >= config.patience:
                logger.info("Stopping at epoch %d: no better validation mAP for %d epochs", epoch, config.patience)
                break
    except KeyboardInterrupt:
        interrupted = True
        logger.warning("Training interrupted after %d epochs; keeping epoch %d", epochs_run, best_epoch)
    if best_map is not None and math.isnan(best_map):
        best_map = None
    return TrainingOutcome(
        best_state, best_map, best_epoch, epochs_run, interrupted, time.perf_counter() - started, history
    )


def checkpoint_metadata(
    model: str,
    bits: int,
    layout: str,
    channels: int,
    source: TrainingSource,
    training: dict[str, Any],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the JSON metadata of a checkpoint (see :mod:`fgir.hashing.checkpoint`)."""
    class_ids = sorted(source.class_names)
    return {
        "model": model,
        "bits": bits,
        "regions": layout,
        "region_boxes": parse_region_layout(layout).round(6).tolist(),
        "channels": channels,
        "backbone": source.backbone,
        "weights": source.weights,
        "preprocessing": source.preprocessing,
        "class_ids": class_ids,
        "class_names": [source.class_names[class_id] for class_id in class_ids],
        "training": {
            "fingerprint": source.gallery_fingerprint,
            "gallery": source.gallery,
            "validation_fraction": source.validation_fraction,
            "validation_seed": source.validation_seed,
            **training,
        },
        "fgir_version": __version__,
        **extra,
    }


def train_network_checkpoint(
    features: FeatureSet,
    is_validation: np.ndarray,
    config: TrainingConfig,
    source: TrainingSource,
    on_epoch: EpochCallback | None = None,
) -> tuple[HashCheckpoint, TrainingOutcome]:
    """Generate the class centers, train the hash network and return its checkpoint (not yet saved)."""
    class_ids = sorted(source.class_names)
    centers = generate_hash_centers(config.bits, len(class_ids), config.seed)
    train, validation = features.subset(~is_validation), features.subset(is_validation)
    outcome = train_hash_network(train, validation, centers, class_ids, config, on_epoch)
    training = {
        "images": int(len(train.labels)),
        "validation_images": int(len(validation.labels)),
        "epochs_run": outcome.epochs_run,
        "best_epoch": outcome.best_epoch,
        "best_validation_map": outcome.best_validation_map,
        "interrupted": outcome.interrupted,
        "seconds": round(outcome.seconds, 3),
        **{key: value for key, value in asdict(config).items() if key != "bits"},
    }
    centers_info = {
        "kind": centers.kind,
        "min_distance": centers.min_distance,
        "target_distance": centers.target_distance,
        "seed": centers.seed,
    }
    extra = {"embedding": config.embedding, "dropout": config.dropout, "centers": centers_info}
    metadata = checkpoint_metadata(
        MODEL_NETWORK, config.bits, features.layout, features.channels, source, training, extra
    )
    tensors = {f"{NETWORK_PREFIX}{name}": tensor for name, tensor in outcome.state.items()}
    tensors["centers"] = torch.from_numpy(centers.centers)
    tensors["center_labels"] = torch.tensor(class_ids, dtype=torch.int64)
    return HashCheckpoint(metadata, tensors), outcome


def fit_itq_checkpoint(
    features: FeatureSet, is_validation: np.ndarray, bits: int, seed: int, source: TrainingSource
) -> HashCheckpoint:
    """Fit ITQ on the CroW descriptors of every training image and return its checkpoint (not yet saved).

    ITQ is unsupervised, so it is fitted on the whole gallery, validation images included. Its
    validation mAP ranks the same held-out images against the others as the hash network's does.
    """
    started = time.perf_counter()
    model, losses = fit_itq(features.crow, bits, DEFAULT_ITERATIONS, seed)
    tensors = {
        "itq.mean": torch.from_numpy(model.mean),
        "itq.projection": torch.from_numpy(model.projection),
        "itq.rotation": torch.from_numpy(model.rotation),
    }
    training: dict[str, Any] = {
        "images": int(len(features.labels)),
        "validation_images": int(is_validation.sum()),
        "validation_images_in_fit": True,
        "iterations": DEFAULT_ITERATIONS,
        "final_quantization_loss": losses[-1] if losses else None,
        "seed": seed,
        "best_validation_map": None,
        "seconds": 0.0,
    }
    metadata = checkpoint_metadata(
        MODEL_ITQ, bits, GLOBAL_LAYOUT, features.channels, source, training, {"feature": "crow"}
    )
    checkpoint = HashCheckpoint(metadata, tensors)
    if is_validation.any():
        encoder = HashEncoder(checkpoint)
        gallery, queries = features.subset(~is_validation), features.subset(is_validation)
        score = hamming_map(
            encode_feature_set(encoder, queries), queries.labels, encode_feature_set(encoder, gallery), gallery.labels
        )
        metadata["training"]["best_validation_map"] = None if math.isnan(score) else score
    metadata["training"]["seconds"] = round(time.perf_counter() - started, 3)
    return checkpoint
