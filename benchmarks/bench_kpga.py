"""Benchmark one kpga descriptor against a bare forward and a forward+backward of the same backbone.

Run from the repository root, for example:
    python benchmarks/bench_kpga.py --backbone mobilenet_v2 --repeats 20
    python benchmarks/bench_kpga.py --backbone resnet50 --allow-random-weights

Timing does not depend on the weights' values, so random weights give valid timings for
backbones whose ImageNet weights are not on disk. The forward+backward reference back-propagates
the same loss to the input of the network, as a plain training-style backward would.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fgir.backbones import build_backbone  # noqa: E402
from fgir.methods import create_method  # noqa: E402
from fgir.methods.kpga import crow_energy  # noqa: E402

WARMUP_RUNS = 3


def median_ms(function, repeats: int) -> float:
    for _ in range(WARMUP_RUNS):
        function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return 1000.0 * statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--batch-size", type=int, default=1, help="images per call (1 = one query)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--allow-random-weights", action="store_true")
    args = parser.parse_args()

    backbone = build_backbone(args.backbone, allow_random=args.allow_random_weights)
    size = backbone.spec.input_size
    images = torch.randn(args.batch_size, 3, size, size)
    method = create_method("kpga")

    def forward() -> None:
        with torch.inference_mode():
            backbone.feature_maps(images)

    def forward_backward() -> None:
        leaf = images.clone().requires_grad_(True)
        loss = crow_energy(backbone.feature_maps(leaf).last).sum()
        torch.autograd.grad(loss, leaf)

    def kpga() -> None:
        method.describe(backbone, images)

    forward_ms = median_ms(forward, args.repeats)
    forward_backward_ms = median_ms(forward_backward, args.repeats)
    kpga_ms = median_ms(kpga, args.repeats)
    report = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
        "torch": torch.__version__,
        "backbone": args.backbone,
        "weights": backbone.weights_id,
        "batch_size": args.batch_size,
        "median_ms": {"forward": forward_ms, "forward_backward": forward_backward_ms, "kpga": kpga_ms},
        "kpga_over_forward": kpga_ms / forward_ms,
        "kpga_over_forward_backward": kpga_ms / forward_backward_ms,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
