# SPDX-License-Identifier: Apache-2.0
"""Keyframes from a reference painting: quality against a known answer, seconds and peak
memory per method and size.

Run: ``.venv/bin/python bench/keyframe.py [--sizes 960x540,1920x1080] [--methods patch,gatys]
[--iterations 300] [--weights vgg19.pth] [--device auto]``.

Known answer (160x90, as ``tests/python/keyframe``): Big Buck Bunny frames A = 40 and B = 90,
F = OpenCV's stylization; the keyframe of B made from F(A) against F(B), beside histogram
matching B to F(A) and the engine without guides (PSNR, SSIM). Timing: one keyframe of frame
90 from F(frame 40) per method and size, each in a fresh process (its peak RSS, and the peak
CUDA memory torch allocated where gatys ran on CUDA). Without ``--weights`` gatys runs on a
VGG19 of seeded random weights: the same work per evaluation as real weights.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from machine import cpu_model
from synthfx.demo.clip import bundled_clip_path
from synthfx.io import FrameRange, VideoReader

FRAME_A, FRAME_B = 40, 90
REPO = Path(__file__).resolve().parents[1]


def size_of(text: str) -> tuple[int, int]:
    width, height = (int(v) for v in text.split("x"))
    return width, height


def stylized(image: np.ndarray) -> np.ndarray:
    bytes_ = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return cv2.stylization(bytes_, sigma_s=30, sigma_r=0.4).astype(np.float32) / 255.0


def frames(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    with VideoReader(bundled_clip_path()) as reader:
        read = dict(reader.frames(FrameRange(FRAME_A, FRAME_B)))
    a, b = (np.ascontiguousarray(cv2.resize(read[f], size, interpolation=cv2.INTER_AREA))
            for f in (FRAME_A, FRAME_B))  # fmt: skip
    return a, b


def ssim(image: np.ndarray, reference: np.ndarray) -> float:
    sys.path.insert(0, str(REPO / "tests" / "python"))
    from keyframe.conftest import ssim as mean_ssim

    return mean_ssim(image, reference)


def known_answer() -> None:
    from synthfx.engine import synthesize
    from synthfx.flow.evaluation import psnr
    from synthfx.keyframe import KeyframeOptions, make_keyframe, match_histogram

    a, b = frames((160, 90))
    reference, truth = stylized(a), stylized(b)
    rows = {
        "keyframe (patch)": make_keyframe(b, [reference]).image,
        "histogram matching": match_histogram(b, reference),
        "engine, no guides": synthesize(reference, [], params=KeyframeOptions().engine).image,
        "the plate itself": b,
    }
    print("known answer 160x90: F(B) from F(A)      PSNR dB   SSIM")
    for name, image in rows.items():
        print(f"  {name:36s} {psnr(image, truth):7.2f} {ssim(image, truth):6.3f}")


def one(method: str, size: tuple[int, int], args: argparse.Namespace) -> dict[str, object]:
    """One keyframe (run in a child process, so its peak RSS is its own)."""
    from synthfx.keyframe import KeyframeOptions, make_keyframe

    a, b = frames(size)
    options = KeyframeOptions(method=method)  # type: ignore[arg-type]
    cuda = False
    if method == "gatys":
        import torch

        options = options.replace(
            weights=args.weights, iterations=args.iterations, torch_device=args.device
        )
        cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    start = time.perf_counter()
    result = make_keyframe(b, [stylized(a)], options=options)
    seconds = time.perf_counter() - start
    report: dict[str, object] = {
        "seconds": seconds,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "evaluations": len(result.losses),
        "device": "cuda" if cuda else "cpu",
    }
    if cuda:
        import torch

        report["cuda_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="960x540,1920x1080")
    parser.add_argument("--methods", default="patch,gatys")
    parser.add_argument("--iterations", type=int, default=300, help="gatys L-BFGS evaluations")
    parser.add_argument("--weights", help="VGG19 weights (default: seeded random ones)")
    parser.add_argument("--device", default="auto", help="gatys torch device")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # METHOD:WxH, the child's job
    args = parser.parse_args()
    if args.one:
        method, size = args.one.split(":")
        print(json.dumps(one(method, size_of(size), args)))
        return
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; engine threads: all")
    known_answer()
    with tempfile.TemporaryDirectory() as scratch:
        if args.weights is None and "gatys" in args.methods:
            sys.path.insert(0, str(REPO / "tests" / "python"))
            from keyframe.vgg_weights import random_vgg_state, save_state

            args.weights = str(save_state(random_vgg_state("vgg19"), Path(scratch) / "v.pth"))
        print(f"{'method':8s} {'size':>10s} {'seconds':>8s} {'evals':>6s} {'peak RSS':>9s} device")
        for method in args.methods.split(","):
            for size in args.sizes.split(","):
                child = [sys.executable, __file__, "--one", f"{method}:{size}"]
                child += ["--iterations", str(args.iterations), "--device", args.device]
                child += ["--weights", args.weights] if args.weights else []
                out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
                row = json.loads(out.strip().splitlines()[-1])
                memory = f"{row['rss_mib']:7.0f} MiB"
                extra = f" (CUDA {row['cuda_mib']:.0f} MiB)" if "cuda_mib" in row else ""
                print(
                    f"{method:8s} {size:>10s} {row['seconds']:8.1f} {row['evaluations']:6d} "
                    f"{memory} {row['device']}{extra}"
                )


if __name__ == "__main__":
    main()
