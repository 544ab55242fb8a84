"""``python -m fgir evaluate``: score one method on a query/gallery split (mAP, P@k, R@k, localization)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from fgir.backbones import RANDOM_WEIGHTS_LABEL, Backbone, load_backbone
from fgir.cache import GalleryCache
from fgir.commands import Command, register_command
from fgir.commands.common import add_model_arguments, method_options
from fgir.errors import FgirError
from fgir.evaluation.protocol import (
    DEFAULT_QUERY_FRACTION,
    DEFAULT_SEED,
    EvaluationReport,
    EvaluationSplit,
    StageProgress,
    cub_official_split,
    evaluate,
    folder_holdout_split,
)
from fgir.methods import create_method


PROTOCOL_HELP = """\
Protocols:
  --cub-root PATH   CUB-200-2011 official split: queries = test split, gallery = train split.
  --gallery DIR     folder of class subfolders: from each class with n >= 2 images,
                    round(FRACTION * n) images (at least 1, at most n - 1) are held out as
                    queries, drawn with a generator seeded by (SEED, class id); the rest is the
                    gallery. Single-image classes stay in the gallery as distractors.

Metrics (queries without any gallery image of their class are left out and counted):
  mAP        mean average precision over the whole ranking
  top1_mAP, top5_mAP
             SCDA's "top-k mAP": per query the mean of P@1..P@k (top1_mAP = P@1)
  mAP@k      hashing-code mAP@k: average precision inside the top k, divided by the
             relevant images found there (0 if none); mAP@1 = P@1, usually rises with k
  P@k        precision of the top k;  R@k  share of queries with a correct image in the top k
  loc_acc, mean_IoU
             over the query images with a ground-truth box: share with IoU >= 0.5 between the
             method's box and the ground truth, and the mean IoU (methods with boxes only)
Ranking is exhaustive cosine similarity, ties broken by gallery order.
"""


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the protocol arguments shared by evaluate and compare."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--cub-root", type=Path, metavar="PATH", help="CUB-200-2011 root: official test split vs train split")
    source.add_argument("--gallery", type=Path, metavar="DIR", help="folder of class subfolders, split by --query-fraction")
    parser.add_argument("--classes", default=None, help="inclusive range of class ids, e.g. 1-100 (default: all)")
    parser.add_argument(
        "--query-fraction",
        type=float,
        default=None,
        help=f"--gallery only: share of each class held out as queries, in (0, 1) (default {DEFAULT_QUERY_FRACTION})",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help=f"--gallery only: seed of the query draw (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--whiten",
        action="store_true",
        help="PCA-whiten both sides with a projection learned on the gallery descriptors (stored in the gallery's cache entry)",
    )
    parser.add_argument(
        "--whiten-dim", type=int, default=None, help="output dimension of --whiten (default: min(D, gallery size - 1))"
    )


def open_split(args: argparse.Namespace) -> EvaluationSplit:
    """Open the split named by --cub-root or --gallery, validating the options that go with it."""
    if args.whiten_dim is not None and not args.whiten:
        raise FgirError("--whiten-dim needs --whiten. Add --whiten or drop --whiten-dim.")
    if args.batch_size < 1:
        raise FgirError(f"Invalid --batch-size {args.batch_size}. Use a positive number such as 32.")
    if args.cub_root is not None:
        if args.query_fraction is not None or args.seed is not None:
            raise FgirError(
                "--query-fraction and --seed apply to --gallery folders only, because CUB's official split is fixed. "
                "Drop them."
            )
        return cub_official_split(args.cub_root, args.classes)
    fraction = DEFAULT_QUERY_FRACTION if args.query_fraction is None else args.query_fraction
    seed = DEFAULT_SEED if args.seed is None else args.seed
    return folder_holdout_split(args.gallery, args.classes, fraction, seed)


def load_backbone_from_args(args: argparse.Namespace) -> Backbone:
    backbone = load_backbone(args.backbone, args.weights, args.allow_random_weights or None)
    if backbone.is_random:
        print(RANDOM_WEIGHTS_LABEL, file=sys.stderr)
    return backbone


class StageProgressBars:
    """One tqdm bar on stderr per stage (gallery, queries) of an evaluation."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            self.close()  # The previous stage is finished; its bar must not stay drawn above this one.
            bar = tqdm(total=total, unit="img", desc=f"{self.prefix}{stage}", file=sys.stderr, leave=False)
            self._bars[stage] = bar
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


def run_evaluation(
    split: EvaluationSplit,
    method_id: str,
    options: dict[str, object],
    backbone: Backbone,
    args: argparse.Namespace,
    progress: StageProgress,
) -> EvaluationReport:
    """Evaluate ``method_id`` on ``split`` with the cache, batch and whitening options of ``args``."""
    method = create_method(method_id, **options)
    return evaluate(
        split,
        method,
        backbone,
        GalleryCache(args.cache_dir),
        batch_size=args.batch_size,
        whiten=args.whiten,
        whiten_dim=args.whiten_dim,
        progress=progress,
    )


def format_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


SUMMARY_KEYS = (
    "mAP", "top1_mAP", "top5_mAP", "mAP@1", "mAP@5", "mAP@10",
    "P@1", "P@5", "P@10", "R@1", "R@5", "R@10",
    "loc_acc", "mean_IoU", "n_loc", "n_query", "n_query_no_relevant", "n_gallery", "wall_time_s",
)  # fmt: skip


def print_summary(payload: dict[str, Any]) -> None:
    print(f"{payload['method_cache_id']} on {payload['backbone']} ({payload['weights']})")
    print(payload["protocol_description"])
    if payload["whitening_dim"]:
        print(f"PCA-whitened to {payload['whitening_dim']} dimensions on the gallery")
    for key in SUMMARY_KEYS:
        print(f"  {key:<20} {format_value(payload[key])}")


def write_json(payload: dict[str, Any], destination: Path) -> None:
    text = json.dumps(payload, indent=2)
    if str(destination) == "-":
        print(text)
        return
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise FgirError(f"Could not write {destination} ({error}). Pass a writable --json path.") from error


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = PROTOCOL_HELP
    add_split_arguments(parser)
    add_model_arguments(parser)
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the report as JSON to OUT ('-' for stdout)")


def run(args: argparse.Namespace) -> int:
    split = open_split(args)
    options = method_options(args)
    if args.flip and args.method != "wmtl":
        raise FgirError(f"--flip applies to the wmtl method only, not {args.method!r}. Drop --flip.")
    backbone = load_backbone_from_args(args)
    bars = StageProgressBars()
    try:
        report = run_evaluation(split, args.method, options, backbone, args, bars)
    finally:
        bars.close()
    payload = report.to_dict()
    if args.json is not None and str(args.json) == "-":
        write_json(payload, args.json)
        return 0
    print_summary(payload)
    if args.json is not None:
        write_json(payload, args.json)
    return 0


register_command(
    Command("evaluate", "Score one method on a query/gallery split: mAP, P@k, R@k, localization.", add_arguments, run)
)
