# SPDX-License-Identifier: Apache-2.0
"""synthfx's CPU engine beside the reference ebsynth, on the same inputs and the same work.

    .venv/bin/python bench/engine_reference.py --reference /tmp/ebsynth/bin/ebsynth
        [--runs 3] [--threads 2] [--cases stylit-half,...] [--seeds 5] [--skip-timing]
        [--skip-quality]

Build the reference from its public repository, outside the project (it is never part of it):
`fetch github:jamriska/ebsynth`, then its `build-linux-cpu_only.sh` line with -O3.

Timing: each case runs both engines interleaved (reference, synthfx, reference, ...) with the same
threads (OMP_NUM_THREADS for the reference), the reference's parameters (uniformity 3500, patch 5,
6 search-vote and 4 PatchMatch iterations, the pyramid depth the reference prints), at synthfx's
default stop threshold and at 0. The reference's CPU backend never applies its stop threshold, so
the stop-threshold-0 row is the like-for-like one. The reference's seconds include its process
start and PNG reading/writing (tens of milliseconds at these sizes).

Quality (the shift known answer): the style and guides cropped so that the target is the source
moved by (7, 5) px; content at the left and top enters from outside the source. Scored on the
target pixels whose truth exists in the source (the valid region) and on that region's outer 16 px
band, where streaks would show. synthfx runs with N seeds, the reference N times (it is not
deterministic under OpenMP); both outputs are rounded to 8 bits, as the reference writes them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from machine import cpu_model
from synthfx.engine import SynthesisParams, synthesize

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SYNTHFX_SHARED", REPO.parent / "shared")) / "data" / "ebsynth"
SHIFT = (7, 5)
BAND = 16
# The reference's defaults: the work both engines do.
REFERENCE_PARAMS = SynthesisParams(
    uniformity=3500.0,
    patch_size=5,
    search_vote_iters=6,
    patchmatch_iters=4,
    extra_pass_3x3=False,
)


@dataclass(frozen=True)
class Case:
    style: np.ndarray  # H x W x C uint8, RGB
    guides: list[tuple[np.ndarray, np.ndarray, float]]  # uint8 source, target, weight


def read(path: Path, scale: float) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        sys.exit(f"missing {path}")
    if scale != 1.0:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image[..., ::-1])


def stylit(scale: float) -> Case:
    d = DATA / "stylit"
    names = ["fullgi", "dirdif", "dirspc", "indirb"]
    return Case(
        read(d / "source_style.png", scale),
        [
            (read(d / f"source_{n}.png", scale), read(d / f"target_{n}.png", scale), 0.5)
            for n in names
        ],
    )


def facestyle(scale: float) -> Case:
    d = DATA / "facestyle"
    pairs = [("Gapp", 0.5), ("Gseg", 1.5), ("Gpos", 10.0)]
    return Case(
        read(d / "source_painting.png", scale),
        [
            (read(d / f"source_{n}.png", scale), read(d / f"target_{n}.png", scale), w)
            for n, w in pairs
        ],
    )


CASES = {
    "stylit-half": lambda: stylit(0.5),
    "facestyle-half": lambda: facestyle(0.5),
    "stylit-full": lambda: stylit(1.0),
    "facestyle-full": lambda: facestyle(1.0),
}


def shifted(case: Case) -> tuple[Case, np.ndarray]:
    """The target is the source moved by SHIFT; returns the case and the truth."""
    dx, dy = SHIFT

    def source(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[dy:, dx:])

    def target(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[:-dy, :-dx])

    guides = [(source(s), target(s), w) for s, _, w in case.guides]
    return Case(source(case.style), guides), target(case.style)


def region_psnr(output: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """PSNR (dB, 8-bit peak) of the valid region and of its outer BAND px."""
    dx, dy = SHIFT
    error = (output.astype(np.float64) - truth.astype(np.float64))[dy:, dx:] ** 2
    band = np.ones(error.shape[:2], bool)
    band[BAND:-BAND, BAND:-BAND] = False

    def psnr(values: np.ndarray) -> float:
        return float(10 * np.log10(255.0**2 / max(values.mean(), 1e-12)))

    return psnr(error), psnr(error[band])


class Reference:
    """The reference's command line on a case written out as PNGs."""

    def __init__(self, binary: Path, case: Case, folder: Path, threads: int) -> None:
        self.binary, self.folder, self.threads = binary, folder, threads
        self.args = ["-style", self.write("style", case.style)]
        for i, (s, t, w) in enumerate(case.guides):
            self.args += ["-guide", self.write(f"s{i}", s), self.write(f"t{i}", t)]
            self.args += ["-weight", f"{w}"]
        p = REFERENCE_PARAMS
        self.args += ["-uniformity", f"{p.uniformity}", "-patchsize", f"{p.patch_size}"]
        self.args += ["-searchvoteiters", f"{p.search_vote_iters}"]
        self.args += ["-patchmatchiters", f"{p.patchmatch_iters}", "-backend", "cpu"]
        self.output = folder / "out.png"
        self.levels = 0

    def write(self, name: str, image: np.ndarray) -> str:
        path = self.folder / f"{name}.png"
        cv2.imwrite(str(path), image[..., ::-1])
        return str(path)

    def run(self) -> tuple[float, np.ndarray]:
        env = dict(os.environ, OMP_NUM_THREADS=str(self.threads))
        start = time.perf_counter()
        done = subprocess.run(
            [str(self.binary), *self.args, "-output", str(self.output)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"reference failed: {done.stdout[-500:]}{done.stderr[-500:]}")
        match = re.search(r"pyramidlevels: (\d+)", done.stdout)
        self.levels = int(match.group(1)) if match else 0
        return seconds, cv2.imread(str(self.output), cv2.IMREAD_COLOR)[..., ::-1]


def run_synthfx(case: Case, params: SynthesisParams, threads: int) -> tuple[float, np.ndarray]:
    style = case.style.astype(np.float32) / 255.0
    guides = [
        (s.astype(np.float32) / 255.0, t.astype(np.float32) / 255.0, w) for s, t, w in case.guides
    ]
    start = time.perf_counter()
    result = synthesize(style, guides, params=params, threads=threads, backend="cpu")
    seconds = time.perf_counter() - start
    image = np.clip(np.rint(np.asarray(result.image) * 255.0), 0, 255).astype(np.uint8)
    return seconds, image


def timing(args: argparse.Namespace, binary: Path) -> None:
    print(f"timing: median of {args.runs}, interleaved, threads={args.threads}")
    print(
        f"{'case':16s} {'size':>9s} {'levels':>6s} {'reference s':>11s} "
        f"{'synthfx s':>9s} {'ratio':>6s} {'synthfx s st=0':>14s} {'ratio':>6s}"
    )
    for name in args.cases.split(","):
        case = CASES[name]()
        with tempfile.TemporaryDirectory() as folder:
            reference = Reference(binary, case, Path(folder), args.threads)
            reference.run()  # learns the pyramid depth (and warms the file cache)
            params = replace(REFERENCE_PARAMS, pyramid_levels=reference.levels)
            exact = replace(params, stop_threshold=0.0)
            ref_s, ours_s, ours0_s = [], [], []
            for _ in range(args.runs):
                ref_s.append(reference.run()[0])
                ours_s.append(run_synthfx(case, params, args.threads)[0])
                ours0_s.append(run_synthfx(case, exact, args.threads)[0])
        r, a, b = (statistics.median(v) for v in (ref_s, ours_s, ours0_s))
        height, width = case.style.shape[:2]
        print(
            f"{name:16s} {width:4d}x{height:<4d} {reference.levels:6d} {r:11.2f} {a:9.2f} "
            f"{r / a:6.2f} {b:14.2f} {r / b:6.2f}",
            flush=True,
        )


def quality(args: argparse.Namespace, binary: Path) -> None:
    print(
        f"shift known answer {SHIFT}: PSNR dB of the valid region / its outer {BAND} px band, "
        f"mean of {args.seeds} seeds (reference: {args.seeds} runs)"
    )
    for name in args.quality_cases.split(","):
        case, truth = shifted(CASES[name]())
        with tempfile.TemporaryDirectory() as folder:
            reference = Reference(binary, case, Path(folder), args.threads)
            ref = [region_psnr(reference.run()[1], truth) for _ in range(args.seeds)]
        params = replace(REFERENCE_PARAMS, pyramid_levels=reference.levels)
        ours = [
            region_psnr(run_synthfx(case, replace(params, seed=seed), args.threads)[1], truth)
            for seed in range(1, args.seeds + 1)
        ]
        for label, scores in (("reference", ref), ("synthfx", ours)):
            whole = statistics.mean(s[0] for s in scores)
            band = statistics.mean(s[1] for s in scores)
            print(f"{name:16s} {label:10s} whole {whole:6.2f}  band {band:6.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, required=True, help="the ebsynth binary")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--quality-cases", default="stylit-half,facestyle-half")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if not args.reference.is_file():
        sys.exit(f"--reference {args.reference}: no such file")
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs")
    if not args.skip_quality:
        quality(args, args.reference)
    if not args.skip_timing:
        timing(args, args.reference)


if __name__ == "__main__":
    main()
