# SPDX-License-Identifier: Apache-2.0
"""Engine benchmark: the Ebsynth examples and synthetic video-sized cases.

    .venv/bin/python bench/engine.py [--runs 3] [--cases stylit,facestyle,...] [--backend cpu]

Prints the median seconds of N runs, nominal patch evaluations per second, final mean error,
thread count and the machine. Reference (Ebsynth CPU build, this 2-core machine class): stylit
~88 s, facestyle ~45 s at its defaults; 960x540 at Ezsynth's parameters with 3 guide channels
~83 s per pass.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from machine import cpu_model
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams, synthesize

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SYNTHFX_SHARED", REPO.parent / "shared")) / "data" / "ebsynth"
Case = tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, float]]]


def load(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        sys.exit(f"missing {path}")
    image = image[..., ::-1] if image.ndim == 3 else image[..., None]
    return np.ascontiguousarray(image, dtype=np.float32) / 255.0


def stylit() -> Case:
    d = DATA / "stylit"
    names = ["fullgi", "dirdif", "dirspc", "indirb"]
    return load(d / "source_style.png"), [
        (load(d / f"source_{n}.png"), load(d / f"target_{n}.png"), 0.5) for n in names
    ]


def facestyle() -> Case:
    d = DATA / "facestyle"
    pairs = [("Gapp", 0.5), ("Gseg", 1.5), ("Gpos", 10.0)]
    return load(d / "source_painting.png"), [
        (load(d / f"source_{n}.png"), load(d / f"target_{n}.png"), w) for n, w in pairs
    ]


def synthetic(width: int, height: int, guide_channels: int) -> Callable[[], Case]:
    """A smooth random style and guides whose target is the source moved by a gentle warp."""

    def make() -> Case:
        rng = np.random.default_rng(7)

        def field(channels: int) -> np.ndarray:
            small = rng.random((height // 16 + 2, width // 16 + 2, channels), dtype=np.float32)
            big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
            detail = rng.random((height, width, channels), dtype=np.float32) * 0.1
            return np.ascontiguousarray(np.atleast_3d(big) + detail, dtype=np.float32)

        style = field(3)
        source = field(guide_channels)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        map_x = xx + 6.0 * np.sin(yy / 57.0)
        map_y = yy + 4.0 * np.cos(xx / 43.0)
        target = np.atleast_3d(
            cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        )
        # Ezsynth-like guide split: several guides of a few channels each.
        guides = []
        for start in range(0, guide_channels, 3):
            stop = min(start + 3, guide_channels)
            guides.append(
                (
                    np.ascontiguousarray(source[..., start:stop]),
                    np.ascontiguousarray(target[..., start:stop]),
                    1.0,
                )
            )
        return style, guides

    return make


CASES: dict[str, tuple[Callable[[], Case], SynthesisParams]] = {
    "stylit": (stylit, SynthesisParams()),
    "facestyle": (facestyle, SynthesisParams()),
    "stylit-ezsynth": (stylit, EZSYNTH_VIDEO_PARAMS),
    "facestyle-ezsynth": (facestyle, EZSYNTH_VIDEO_PARAMS),
    "960x540-3g-ezsynth": (synthetic(960, 540, 3), EZSYNTH_VIDEO_PARAMS),
    "960x540-10g-ezsynth": (synthetic(960, 540, 10), EZSYNTH_VIDEO_PARAMS),
    "1920x1080-10g-ezsynth": (synthetic(1920, 1080, 10), EZSYNTH_VIDEO_PARAMS),
}


def nominal_evaluations(width: int, height: int, params: SynthesisParams, source: int) -> float:
    """Candidate patches tried, before early exits: per PatchMatch pass and pixel, two
    propagation candidates plus one random candidate per halving of the search radius."""
    random_steps = int(np.floor(np.log2(max(source, 1)))) + 1
    per_pass = 2 + random_steps
    levels = params.pyramid_levels if params.pyramid_levels > 0 else 6
    pixels = sum((width / 2**k) * (height / 2**k) for k in range(levels))
    total = pixels * params.search_vote_iters * params.patchmatch_iters * per_pass
    if params.extra_pass_3x3:
        total += width * height * params.patchmatch_iters * per_pass
    return total



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    threads = args.threads or os.cpu_count() or 1
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; threads={threads}; "
        f"backend={args.backend}; median of {args.runs}"
    )
    print(
        f"{'case':24s} {'size':>11s} {'ch s+g':>7s} {'median s':>9s} {'Meval/s':>8s} "
        f"{'mean err':>9s}"
    )
    for name in args.cases.split(","):
        make, params = CASES[name]
        style, guides = make()
        height, width = guides[0][1].shape[:2]
        guide_channels = sum(g[0].shape[2] for g in guides)
        seconds, error = [], 0.0
        for _ in range(args.runs):
            start = time.perf_counter()
            result = synthesize(style, guides, params=params, threads=threads, backend=args.backend)
            seconds.append(time.perf_counter() - start)
            error = float(result.error.mean())
        median = statistics.median(seconds)
        evals = nominal_evaluations(width, height, params, max(style.shape[:2]))
        print(
            f"{name:24s} {width:5d}x{height:<5d} {style.shape[2]:>3d}+{guide_channels:<3d} "
            f"{median:9.2f} {evals / median / 1e6:8.1f} {error:9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
