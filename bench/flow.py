# SPDX-License-Identifier: Apache-2.0
"""Accuracy and speed of the flow estimators on a synthetic smooth warp of a real painting.

Frame B is the Stylit painting (``$SYNTHFX_SHARED`` or ``../shared``); frame A is B resampled
along a smooth random flow, so the exact flow A -> B is known. Prints mean end-point error
(interior, 16 px border ignored) and the median of ``--repeat`` timed runs after one warm-up.

Run: ``PYTHONPATH=backend/src .venv/bin/python bench/flow.py [--device cuda] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from machine import cpu_model
from synthfx.flow import make_flow_estimator
from synthfx.flow.base import FlowEstimator
from synthfx.flow.evaluation import SyntheticPair, end_point_error, synthetic_pair
from synthfx.io import read_image

REPO_ROOT = Path(__file__).resolve().parents[1]
BORDER = 16
# (name, scale of the painting, crop height, crop width, max displacement in pixels)
CASES = [("256x320", 0.5, 256, 320, 4.0), ("512x640", 1.0, 512, 640, 8.0)]


def shared_root() -> Path:
    return Path(os.environ.get("SYNTHFX_SHARED", REPO_ROOT.parent / "shared"))


def make_case(
    painting: np.ndarray, scale: float, height: int, width: int, shift: float
) -> SyntheticPair:
    """A centred crop of the painting at ``scale`` and its synthetic partner frame."""
    scaled = cv2.resize(painting, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    top, left = (scaled.shape[0] - height) // 2, (scaled.shape[1] - width) // 2
    crop = np.ascontiguousarray(scaled[top : top + height, left : left + width, :3])
    return synthetic_pair(crop, shift, seed=0)


def measure(estimator: FlowEstimator, pair: SyntheticPair, repeat: int) -> tuple[float, float]:
    """(EPE in px, median seconds)."""
    flow = estimator.compute(pair.frame_a, pair.frame_b)  # warm-up (allocators, JIT, cuDNN)
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        flow = estimator.compute(pair.frame_a, pair.frame_b)
        seconds.append(time.perf_counter() - start)
    return end_point_error(flow, pair.flow_ab, border=BORDER), statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device for RAFT (cpu, cuda)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case")
    args = parser.parse_args()

    painting = read_image(shared_root() / "data" / "ebsynth" / "stylit" / "source_style.png")
    weights = shared_root() / "models" / "raft-small.pth"
    specs = ["dis-ultrafast", "dis-fast", "dis-medium", "dis-fine", f"raft:{weights}"]
    estimators = {spec: make_flow_estimator(spec, device=args.device) for spec in specs}

    gpu = torch.cuda.get_device_name() if args.device.startswith("cuda") else "-"
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} CPUs, torch threads "
        f"{torch.get_num_threads()}, OpenCV threads {cv2.getNumThreads()}, GPU {gpu}"
    )
    print(f"torch {torch.__version__}, OpenCV {cv2.__version__}, RAFT device {args.device}")
    print(f"{'case':<20} {'method':<14} {'EPE px':>8} {'seconds':>9}")
    for name, scale, height, width, shift in CASES:
        pair = make_case(painting.pixels, scale, height, width, shift)
        zero = end_point_error(np.zeros_like(pair.flow_ab), pair.flow_ab, border=BORDER)
        label = f"{name} <={shift:g}px"
        print(f"{label:<20} {'zero flow':<14} {zero:>8.3f} {'':>9}")
        for spec, estimator in estimators.items():
            method = "raft-small" if spec.startswith("raft:") else spec
            error, seconds = measure(estimator, pair, args.repeat)
            print(f"{label:<20} {method:<14} {error:>8.3f} {seconds:>9.3f}")


if __name__ == "__main__":
    main()
