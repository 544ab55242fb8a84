"""``python -m fgir compare``: evaluate several methods on one split and write a table, a CSV and plots.

The output folder gets ``results.md`` (Markdown table), ``results.csv``, ``results.json`` (every
report), one ``<method>.json`` per method as soon as it finishes, ``pr_curves.png`` (11-point
interpolated precision-recall, averaged over queries) and ``map_bar.png`` (mAP per method).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fgir.commands import Command, register_command
from fgir.commands.common import add_backbone_arguments
from fgir.commands.evaluate_command import (
    PROTOCOL_HELP,
    StageProgressBars,
    add_split_arguments,
    format_value,
    load_backbone_from_args,
    open_split,
    run_evaluation,
    write_json,
)
from fgir.errors import FgirError
from fgir.methods import METHODS

logger = logging.getLogger(__name__)

# Baselines first, then the localizing methods: the order of the table rows and plots.
DEFAULT_METHODS = ("gap", "mac", "spoc", "gem", "rmac", "crow", "scda", "scda_flip", "wmtl")
DEFAULT_OUT = Path("results")
TABLE_COLUMNS = (
    "method", "descriptor_dim", "mAP", "top1_mAP", "top5_mAP", "mAP@1", "mAP@5", "mAP@10",
    "P@1", "P@5", "P@10", "R@1", "R@5", "R@10", "loc_acc", "mean_IoU", "wall_time_s",
)  # fmt: skip
FIGURE_SIZE = (6.4, 4.8)  # inches
FIGURE_DPI = 120


def parse_methods(text: str | None) -> list[str]:
    """Parse a comma-separated method list, rejecting unknown and repeated ids."""
    if text is None:
        return [method for method in DEFAULT_METHODS if method in METHODS]
    methods = [part.strip() for part in text.split(",") if part.strip()]
    if not methods:
        raise FgirError(f"Empty --methods {text!r}. Pass ids such as gap,scda,wmtl.")
    unknown = [method for method in methods if method not in METHODS]
    if unknown:
        raise FgirError(f"Unknown methods in --methods: {', '.join(unknown)}. Choose from: {', '.join(sorted(METHODS))}.")
    repeated = sorted({method for method in methods if methods.count(method) > 1})
    if repeated:
        raise FgirError(f"Methods repeated in --methods: {', '.join(repeated)}. List each once.")
    return methods


def markdown_table(reports: list[dict[str, Any]]) -> str:
    header = "| " + " | ".join(TABLE_COLUMNS) + " |"
    rule = "|" + "|".join(" --- " for _ in TABLE_COLUMNS) + "|"
    rows = ["| " + " | ".join(format_value(report.get(column)) for column in TABLE_COLUMNS) + " |" for report in reports]
    return "\n".join([header, rule, *rows])


def write_markdown(path: Path, reports: list[dict[str, Any]], command: str) -> None:
    first = reports[0]
    lines = [
        f"# {first['backbone']} on {first['protocol']}",
        "",
        f"- Protocol: {first['protocol_description']}",
        f"- Backbone: {first['backbone']}, weights {first['weights']}, input {first['input_size']}x{first['input_size']}",
        f"- Queries: {first['n_query']} (left out without a relevant gallery image: {first['n_query_no_relevant']}); "
        f"gallery: {first['n_gallery']}",
        f"- Whitening: {first['whitening_dim'] or 'none'}",
        f"- Command: `{command}`",
        "- top1/top5_mAP: SCDA's mean of P@1..P@k; mAP@k: the hashing code's AP within the top k; "
        "loc_acc and mean_IoU over the query images with a ground-truth box.",
        "- wall_time_s includes indexing both sides unless the gallery cache already held them.",
        "",
        markdown_table(reports),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_csv(path: Path, reports: list[dict[str, Any]]) -> None:
    columns = [key for key in reports[0] if key != "pr_curve"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for report in reports:
            writer.writerow({key: "" if report.get(key) is None else report.get(key) for key in columns})


def plot_precision_recall(path: Path, reports: list[dict[str, Any]]) -> None:
    figure = Figure(figsize=FIGURE_SIZE)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for report in reports:
        curve = report["pr_curve"]
        precision = [float("nan") if value is None else value for value in curve["precision"]]
        axes.plot(curve["recall"], precision, marker="o", markersize=3, label=report["method"])
    axes.set_xlabel("recall")
    axes.set_ylabel("interpolated precision")
    axes.set_title(f"Precision-recall, {reports[0]['backbone']}, {reports[0]['protocol']}")
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(0.0, 1.0)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")


def plot_map_bars(path: Path, reports: list[dict[str, Any]]) -> None:
    figure = Figure(figsize=FIGURE_SIZE)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    names = [report["method"] for report in reports]
    values = [report["mAP"] or 0.0 for report in reports]
    bars = axes.bar(names, values)
    axes.bar_label(bars, labels=[f"{value:.3f}" for value in values], fontsize="small")
    axes.set_ylabel("mAP (whole ranking)")
    axes.set_title(f"mAP, {reports[0]['backbone']}, {reports[0]['protocol']}")
    axes.tick_params(axis="x", labelrotation=45)
    figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")


def write_outputs(out: Path, reports: list[dict[str, Any]], command: str) -> None:
    (out / "results.json").write_text(json.dumps(reports, indent=2) + "\n", encoding="utf-8")
    write_markdown(out / "results.md", reports, command)
    write_csv(out / "results.csv", reports)
    plot_precision_recall(out / "pr_curves.png", reports)
    plot_map_bars(out / "map_bar.png", reports)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = PROTOCOL_HELP
    add_split_arguments(parser)
    add_backbone_arguments(parser)
    parser.add_argument(
        "--methods",
        default=None,
        help=f"comma-separated method ids, in table order (default: {','.join(DEFAULT_METHODS)})",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT}/)")


def run(args: argparse.Namespace) -> int:
    methods = parse_methods(args.methods)
    split = open_split(args)
    backbone = load_backbone_from_args(args)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FgirError(f"Could not create the results folder {args.out} ({error}). Pass a writable --out.") from error

    reports: list[dict[str, Any]] = []
    failures: list[str] = []
    for number, method_id in enumerate(methods, start=1):
        print(f"[{number}/{len(methods)}] {method_id}", file=sys.stderr, flush=True)
        bars = StageProgressBars(prefix=f"{method_id}: ")
        try:
            report = run_evaluation(split, method_id, {}, backbone, args, bars).to_dict()
        except FgirError as error:
            logger.error("Method %s failed: %s", method_id, error)
            failures.append(f"{method_id}: {error}")
            continue
        finally:
            bars.close()
        write_json(report, args.out / f"{method_id}.json")
        reports.append(report)
        print(
            f"  mAP {format_value(report['mAP'])}  P@1 {format_value(report['P@1'])}  "
            f"loc_acc {format_value(report['loc_acc'])}  {report['wall_time_s']:.0f} s",
            file=sys.stderr,
            flush=True,
        )

    if reports:
        write_outputs(args.out, reports, "python -m fgir " + " ".join(sys.argv[1:]))
        print(markdown_table(reports))
        print(f"Wrote results.md, results.csv, results.json, pr_curves.png and map_bar.png to {args.out}")
    if failures:
        raise FgirError(f"{len(failures)} of {len(methods)} methods failed: " + "; ".join(failures))
    return 0


register_command(
    Command("compare", "Evaluate several methods on one split; write a Markdown table, a CSV and plots.", add_arguments, run)
)
