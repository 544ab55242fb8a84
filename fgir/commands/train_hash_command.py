"""``python -m fgir train-hash``: learn binary codes on a gallery's training images, on the CPU.

Backbone features are computed once per (gallery, backbone, weights) and cached in the gallery
cache; every epoch then trains only the hash network on them. Validation uses a held-out part of
the training images, never the test split.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from fgir.backbones import BACKBONES, RANDOM_WEIGHTS_LABEL, Backbone, load_backbone
from fgir.cache import CACHE_DIR_ENV, GalleryCache
from fgir.commands import Command, register_command
from fgir.errors import FgirError
from fgir.evaluation.protocol import DEFAULT_QUERY_FRACTION, folder_holdout_split
from fgir.evaluation.protocol import DEFAULT_SEED as DEFAULT_QUERY_SEED
from fgir.gallery import Gallery, is_cub_root, open_gallery
from fgir.hashing.checkpoint import (
    CHECKPOINT_SUFFIX,
    MODEL_ITQ,
    MODEL_NETWORK,
    MODELS,
    resolve_checkpoint_dir,
    save_checkpoint,
)
from fgir.hashing.features import FeatureSet, load_or_compute_features
from fgir.hashing.loss import DEFAULT_QUANTIZATION_WEIGHT
from fgir.hashing.network import DEFAULT_DROPOUT, DEFAULT_EMBEDDING
from fgir.hashing.regions import DEFAULT_LAYOUT, layout_slug, region_count
from fgir.hashing.training import (
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_PATIENCE,
    DEFAULT_SEED,
    DEFAULT_TRAIN_BATCH,
    DEFAULT_VALIDATION_FRACTION,
    DEFAULT_WEIGHT_DECAY,
    TrainingConfig,
    TrainingSource,
    fit_itq_checkpoint,
    train_network_checkpoint,
    validation_mask,
)

logger = logging.getLogger(__name__)

DEFAULT_BITS = "12,24,32,48"
DEFAULT_TRAIN_BACKBONE = "resnet18"
EXIT_INTERRUPTED = 130

HELP_EPILOG = """\
Output (--out):
  a path ending in .pt   one bit length: written there; several: '-<K>bit' is added before
                         .pt, e.g. --out wlrh.pt --bits 12,48 -> wlrh-12bit.pt, wlrh-48bit.pt
  anything else          a folder (default: $FGIR_CHECKPOINT_DIR or checkpoints/): one file per
                         length named <wlrh|itq>-<backbone>-<regions>-<K>bit.pt

Training set:
  --cub-root PATH        the train split (of --classes); no test image is read
  --gallery DIR          a folder of class subfolders, minus the images that 'evaluate --gallery'
                         holds out as queries with the same --query-fraction and --query-seed
                         (--query-fraction 0 trains on every image)
In both cases --validation-fraction of each class's training images is held out for validation.

Region layouts (--regions): parts 'global' (whole map) and 'gridNxM' joined by '+':
  global+grid2x2         whole map plus its quadrants, 5 regions (default)
  global                 whole map only, the ablation without local regions
  global+grid2x2+grid3x3 two scales, 14 regions

Models (--model):
  hash-network           supervised: a hash network on the region features, trained towards one
                         hash center per class; --regions global is the ablation without local regions
  itq                    unsupervised baseline: ITQ on the CroW descriptors, fitted on every training
                         image; ignores --regions and the network options
"""


def parse_bits(text: str) -> list[int]:
    """Parse '12,24,32,48' into bit lengths, rejecting non-numbers, values below 2 and repeats."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise FgirError(f"Invalid --bits {text!r}. Use comma-separated code lengths, e.g. 12,24,32,48.") from None
    if not values or any(value < 2 for value in values):
        raise FgirError(f"Invalid --bits {text!r}. Every code length must be at least 2 bits, e.g. 12,24,32,48.")
    if len(set(values)) != len(values):
        raise FgirError(f"Repeated value in --bits {text!r}. List each code length once.")
    return values


def checkpoint_paths(out: Path, bits: list[int], model: str, backbone: str, layout: str) -> dict[int, Path]:
    """Map each code length to its output file (see HELP_EPILOG)."""
    if out.suffix == CHECKPOINT_SUFFIX:
        if len(bits) == 1:
            return {bits[0]: out}
        return {value: out.with_name(f"{out.stem}-{value}bit{CHECKPOINT_SUFFIX}") for value in bits}
    prefix, regions = ("itq", "crow") if model == MODEL_ITQ else ("wlrh", layout_slug(layout))
    return {value: out / f"{prefix}-{backbone}-{regions}-{value}bit{CHECKPOINT_SUFFIX}" for value in bits}


def open_training_gallery(args: argparse.Namespace) -> Gallery:
    """Open the images to train on: a CUB root's train split, or a folder minus its held-out queries."""
    if args.cub_root is not None:
        if args.query_fraction is not None or args.query_seed is not None:
            raise FgirError("--query-fraction and --query-seed apply to --gallery folders only. Drop them.")
        if not is_cub_root(Path(args.cub_root).expanduser()):
            raise FgirError(
                f"{args.cub_root} is not a CUB-200-2011 root. Pass the folder with images.txt, or use --gallery."
            )
        return open_gallery(args.cub_root, "train", args.classes)
    fraction = DEFAULT_QUERY_FRACTION if args.query_fraction is None else args.query_fraction
    seed = DEFAULT_QUERY_SEED if args.query_seed is None else args.query_seed
    if fraction == 0:
        logger.warning(
            "Training on every image of %s: 'evaluate --gallery' queries are then training images", args.gallery
        )
        return open_gallery(args.gallery, "all", args.classes)
    return folder_holdout_split(args.gallery, args.classes, fraction, seed).gallery


def validate_arguments(args: argparse.Namespace) -> None:
    """Raise :class:`FgirError` naming the first invalid option and a valid value."""
    checks = [
        (args.epochs >= 1, f"Invalid --epochs {args.epochs}. Use a positive number such as {DEFAULT_EPOCHS}."),
        (args.patience >= 0, f"Invalid --patience {args.patience}. Use 0 (never stop early) or a number of epochs."),
        (
            args.train_batch_size >= 1,
            f"Invalid --train-batch-size {args.train_batch_size}. Use e.g. {DEFAULT_TRAIN_BATCH}.",
        ),
        (args.batch_size >= 1, f"Invalid --batch-size {args.batch_size}. Use a positive number such as 32."),
        (args.lr > 0, f"Invalid --lr {args.lr}. Use a positive learning rate such as {DEFAULT_LEARNING_RATE}."),
        (args.weight_decay >= 0, f"Invalid --weight-decay {args.weight_decay}. Use 0 or more."),
        (args.embedding >= 0, f"Invalid --embedding {args.embedding}. Use 0 or a width such as {DEFAULT_EMBEDDING}."),
        (0 <= args.dropout < 1, f"Invalid --dropout {args.dropout}. Use a probability in [0, 1)."),
        (args.quantization_weight >= 0, f"Invalid --quantization-weight {args.quantization_weight}. Use 0 or more."),
        (
            0 <= args.validation_fraction < 1,
            f"Invalid --validation-fraction {args.validation_fraction}. Use a fraction in [0, 1), e.g. 0.1.",
        ),
        (args.seed >= 0, f"Invalid --seed {args.seed}. Use a non-negative integer."),
        (args.threads is None or args.threads >= 1, f"Invalid --threads {args.threads}. Use a positive number."),
    ]
    for passed, message in checks:
        if not passed:
            raise FgirError(message)
    region_count(args.regions)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--cub-root", type=Path, metavar="PATH", help="CUB-200-2011 root: train on its train split")
    source.add_argument("--gallery", type=Path, metavar="DIR", help="folder of class subfolders")
    parser.add_argument("--classes", default=None, help="inclusive range of class ids, e.g. 1-100 (default: all)")
    parser.add_argument(
        "--query-fraction",
        type=float,
        default=None,
        help="--gallery only: share of each class that evaluate holds out as queries and training leaves out "
        f"(default {DEFAULT_QUERY_FRACTION})",
    )
    parser.add_argument(
        "--query-seed",
        type=int,
        default=None,
        help=f"--gallery only: seed of that query draw (default {DEFAULT_QUERY_SEED})",
    )


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bits", default=DEFAULT_BITS, help=f"comma-separated code lengths (default {DEFAULT_BITS})")
    parser.add_argument(
        "--model",
        choices=MODELS,
        default=MODEL_NETWORK,
        help="hash-network (supervised) or itq (unsupervised baseline)",
    )
    parser.add_argument("--regions", default=DEFAULT_LAYOUT, help=f"region layout (default {DEFAULT_LAYOUT})")
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default=DEFAULT_TRAIN_BACKBONE, help=f"CNN backbone (default: {DEFAULT_TRAIN_BACKBONE}; mobilenet_v2 is the one with offline weights)")
    parser.add_argument("--weights", type=Path, default=None, help="local state-dict file for the chosen backbone")
    parser.add_argument(
        "--allow-random-weights",
        action="store_true",
        help="development only: use random weights when ImageNet weights are unavailable",
    )
    parser.add_argument("--out", type=Path, default=None, help="checkpoint file or folder (default: checkpoints/)")


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    integer_options = (
        ("--epochs", DEFAULT_EPOCHS, "maximum training epochs"),
        ("--patience", DEFAULT_PATIENCE, "stop after this many epochs without a better validation mAP, 0 never"),
        ("--train-batch-size", DEFAULT_TRAIN_BATCH, "images per training step"),
        ("--embedding", DEFAULT_EMBEDDING, "width of the shared region embedding, 0 to hash the raw region features"),
        ("--seed", DEFAULT_SEED, "seed of the validation draw, hash centers, initialization and batch order"),
    )
    for flag, default, text in integer_options:
        parser.add_argument(flag, type=int, default=default, help=f"{text} (default {default})")
    float_options = (
        ("--lr", DEFAULT_LEARNING_RATE, "AdamW learning rate"),
        ("--weight-decay", DEFAULT_WEIGHT_DECAY, "AdamW weight decay"),
        ("--dropout", DEFAULT_DROPOUT, "dropout before the hash layer"),
        ("--quantization-weight", DEFAULT_QUANTIZATION_WEIGHT, "weight of mean((|h| - 1)^2) in the loss"),
        ("--validation-fraction", DEFAULT_VALIDATION_FRACTION, "share of each class's training images that validates"),
    )
    for flag, default, text in float_options:
        parser.add_argument(flag, type=float, default=default, help=f"{text} (default {default})")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for training (default: torch's default); 1 is often faster on a busy machine",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="images per backbone forward pass for features")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"cache folder for the features (default: ${CACHE_DIR_ENV} or gallery_cache/)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of text")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = HELP_EPILOG
    add_source_arguments(parser)
    add_model_arguments(parser)
    add_training_arguments(parser)


def compute_features(gallery: Gallery, args: argparse.Namespace, backbone: Backbone, layout: str) -> FeatureSet:
    bar = tqdm(total=len(gallery.items), unit="img", desc="Computing features", file=sys.stderr, leave=False)

    def update(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    try:
        return load_or_compute_features(
            gallery, backbone, layout, GalleryCache(args.cache_dir), args.batch_size, update
        )
    finally:
        bar.close()


def train_one_length(
    bits: int,
    features: FeatureSet,
    is_validation: np.ndarray,
    source: TrainingSource,
    args: argparse.Namespace,
    path: Path,
) -> dict[str, Any]:
    """Train or fit one code length, save its checkpoint and return its summary."""
    if args.model == MODEL_ITQ:
        checkpoint = fit_itq_checkpoint(features, is_validation, bits, args.seed, source)
        save_checkpoint(path, checkpoint.metadata, checkpoint.tensors)
        return {"bits": bits, "path": str(path), **_summary_fields(checkpoint.metadata)}

    config = TrainingConfig(
        bits=bits, epochs=args.epochs, batch_size=args.train_batch_size, learning_rate=args.lr,
        weight_decay=args.weight_decay, embedding=args.embedding, dropout=args.dropout,
        quantization_weight=args.quantization_weight, patience=args.patience, seed=args.seed,
    )  # fmt: skip
    bar = tqdm(total=args.epochs, unit="epoch", desc=f"Training {bits}-bit", file=sys.stderr, leave=False)

    def on_epoch(epoch: int, statistics: dict[str, float]) -> None:
        bar.update(1)
        shown = {"loss": f"{statistics['loss']:.4f}"}
        if "validation_map" in statistics:
            shown["val_mAP"] = f"{statistics['validation_map']:.4f}"
            shown["best"] = f"{statistics['best_validation_map']:.4f}"
        bar.set_postfix(shown)

    try:
        checkpoint, outcome = train_network_checkpoint(features, is_validation, config, source, on_epoch)
    finally:
        bar.close()
    summary: dict[str, Any] = {"bits": bits, "path": None, **_summary_fields(checkpoint.metadata)}
    if outcome.epochs_run == 0:
        summary["interrupted"] = True
        return summary
    save_checkpoint(path, checkpoint.metadata, checkpoint.tensors)
    summary["path"] = str(path)
    return summary


def _summary_fields(metadata: dict[str, Any]) -> dict[str, Any]:
    training = metadata["training"]
    return {
        "model": metadata["model"],
        "regions": metadata["regions"],
        "best_validation_map": training.get("best_validation_map"),
        "best_epoch": training.get("best_epoch"),
        "epochs_run": training.get("epochs_run"),
        "seconds": training.get("seconds"),
        "interrupted": bool(training.get("interrupted", False)),
        "centers": metadata.get("centers"),
    }


def print_summary(summaries: list[dict[str, Any]]) -> None:
    for entry in summaries:
        best = entry["best_validation_map"]
        has_map = isinstance(best, float) and not math.isnan(best)
        parts = [f"validation mAP {best:.4f}" if has_map else "no validation mAP"]
        if entry["model"] == MODEL_NETWORK:
            parts.append(f"{entry['epochs_run']} epochs, best {entry['best_epoch']}")
        parts.append(f"{entry['seconds']:.1f} s")
        centers = entry.get("centers")
        if centers:
            parts.append(f"{centers['kind']} centers, min distance {centers['min_distance']}")
        where = entry["path"] or "not saved (interrupted before the first epoch finished)"
        print(f"{entry['bits']:>3}-bit {entry['model']}: {', '.join(parts)} -> {where}")


def run(args: argparse.Namespace) -> int:
    bits_list = parse_bits(args.bits)
    validate_arguments(args)
    layout = DEFAULT_LAYOUT if args.model == MODEL_ITQ else args.regions
    gallery = open_training_gallery(args)
    backbone = load_backbone(args.backbone, args.weights, args.allow_random_weights or None)
    if backbone.is_random:
        print(RANDOM_WEIGHTS_LABEL, file=sys.stderr)
    out = args.out if args.out is not None else resolve_checkpoint_dir()
    paths = checkpoint_paths(out, bits_list, args.model, backbone.id, args.regions)

    features = compute_features(gallery, args, backbone, layout)
    if args.threads is not None:
        torch.set_num_threads(args.threads)  # Set after feature extraction, which keeps torch's default.
    is_validation = validation_mask(features.labels, args.validation_fraction, args.seed)
    selection = f"classes {gallery.classes[0]}-{gallery.classes[1]}" if gallery.classes else "all classes"
    known = {int(label) for label in features.labels}
    source = TrainingSource(
        backbone=backbone.id,
        weights=backbone.weights_id,
        preprocessing=backbone.spec.preprocessing_id,
        gallery_fingerprint=gallery.fingerprint(),
        gallery=f"{gallery.kind} {gallery.image_root}, split {gallery.split}, {selection}",
        class_names={label: name for label, name in gallery.class_names().items() if label in known},
        validation_fraction=args.validation_fraction,
        validation_seed=args.seed,
    )
    logger.info(
        "Training on %d images of %d classes, validating on %d",
        int((~is_validation).sum()),
        len(known),
        int(is_validation.sum()),
    )

    summaries = []
    for bits in bits_list:
        summary = train_one_length(bits, features, is_validation, source, args, paths[bits])
        summaries.append(summary)
        if summary["interrupted"]:
            break
    interrupted = any(entry["interrupted"] for entry in summaries)
    if args.json:
        print(json.dumps({"backbone": backbone.id, "weights": backbone.weights_id, "checkpoints": summaries}, indent=2))
    else:
        print_summary(summaries)
    if interrupted:
        print(
            "train-hash: interrupted; the best epoch so far was saved, remaining code lengths were skipped.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0


register_command(
    Command(
        "train-hash", "Train binary hash codes (wlrh) on a gallery's training images, on the CPU.", add_arguments, run
    )
)
