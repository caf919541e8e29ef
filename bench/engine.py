# SPDX-License-Identifier: Apache-2.0
"""Engine benchmark: the Ebsynth examples and synthetic video-sized cases, CPU and CUDA.

    .venv/bin/python bench/engine.py [--only cpu|cuda] [--runs 3] [--cases stylit,...]
        [--cuda-runs 5] [--cuda-cases stylit,...] [--no-memory-case]

CPU cases: the median seconds of N runs, nominal patch evaluations per second, final mean error,
thread count and the machine. Reference figures (Ebsynth's own CPU build): bench/README.md.

CUDA cases (when the CUDA backend is available; otherwise the bench says why and runs the CPU cases
only): seconds per pass (median of N after one warm-up), nominal patch evaluations per second, and
the fraction of the FP32 compute bound: nominal evaluations x patch pixels x channels x 3 FLOP
(difference, square, add) over the GPU's FP32 peak. The issue's estimate for 1920x1080 at Ezsynth's
parameters (3 style + 12 guide channels) is ~9.7 TFLOP; it assumes 2,112 evaluations per output
pixel, the count here (the kernel's candidates: 4 propagation + one per halving of the search
radius, per level) is lower, so the fraction here is conservative. With torch on the GPU, "dev"
rows pass the inputs as CUDA tensors (no host pyramid, no upload). A 3840x2160 case prints the peak
device memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from machine import cpu_model
from synthfx.engine import (
    EZSYNTH_VIDEO_PARAMS,
    SynthesisParams,
    cuda_available,
    last_cuda_peak_bytes,
    synthesize,
)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SYNTHFX_SHARED", REPO.parent / "shared")) / "data" / "ebsynth"
Case = tuple[Any, list[tuple[Any, Any, float]]]  # NumPy arrays, or CUDA tensors


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

CUDA_CASES: dict[str, tuple[Callable[[], Case], SynthesisParams]] = {
    "stylit": (stylit, SynthesisParams()),
    "facestyle": (facestyle, SynthesisParams()),
    "1920x1080-12g-ezsynth": (synthetic(1920, 1080, 12), EZSYNTH_VIDEO_PARAMS),
}
MEMORY_CASE = ("3840x2160-12g-ezsynth", synthetic(3840, 2160, 12), EZSYNTH_VIDEO_PARAMS)

# FP32 peak (TFLOP/s, boost clock, dense) by device name; the first substring that matches wins.
FP32_PEAK_TFLOPS = [
    ("H100 PCIe", 51.2),
    ("H100 NVL", 60.0),
    ("H200 NVL", 60.0),
    ("GH200", 66.9),
    ("H100", 66.9),
    ("H200", 66.9),
    ("A100", 19.5),
    ("L40S", 91.6),
    ("L40", 90.5),
    ("L4", 30.3),
    ("A10", 31.2),
    ("RTX 4090", 82.6),
    ("RTX 3090", 35.6),
    ("T4", 8.1),
]
# FP32 lanes per SM by compute capability major, for devices not in the table.
FP32_LANES_PER_SM = {7: 64, 8: 128, 9: 128, 10: 128, 12: 128}


def level_sizes(width: int, height: int, levels: int) -> list[tuple[int, int]]:
    """Finest first, each halved with sizes rounded up (as the engine's pyramid)."""
    sizes = [(width, height)]
    for _ in range(levels - 1):
        w, h = sizes[-1]
        sizes.append(((w + 1) // 2, (h + 1) // 2))
    return sizes


def nominal_evaluations(
    width: int,
    height: int,
    params: SynthesisParams,
    source: tuple[int, int],
    propagation: int = 2,
) -> tuple[float, float]:
    """Candidate patches tried, before early exits, and their FLOP per feature channel.

    Per PatchMatch pass and pixel: `propagation` candidates (2 on the CPU's sequential scan, 4 in
    the CUDA kernel) plus one random candidate per halving of the search radius max(W_s, H_s) of
    that level. FLOP per channel: 3 per patch pixel (difference, square, add).
    """
    levels = params.pyramid_levels if params.pyramid_levels > 0 else 6
    targets = level_sizes(width, height, levels)
    sources = level_sizes(*source, levels)
    evaluations = flop = 0.0
    passes = params.search_vote_iters * params.patchmatch_iters
    for (tw, th), (sw, sh) in zip(targets, sources, strict=True):
        per_pass = propagation + int(np.floor(np.log2(max(sw, sh, 1)))) + 1
        count = tw * th * passes * per_pass
        evaluations += count
        flop += count * params.patch_size**2 * 3
    if params.extra_pass_3x3:
        per_pass = propagation + int(np.floor(np.log2(max(source)))) + 1
        count = width * height * params.patchmatch_iters * per_pass
        evaluations += count
        flop += count * 9 * 3
    return evaluations, flop


def fp32_peak_flops() -> tuple[float, str]:
    """FP32 peak of CUDA device 0 in FLOP/s (0 if unknown) and where the number comes from."""
    _, reason = cuda_available()  # "NAME (compute capability X.Y)"
    for key, tflops in FP32_PEAK_TFLOPS:
        if key in reason:
            return tflops * 1e12, f"table ({key})"
    try:
        import torch

        props = torch.cuda.get_device_properties(0)
        lanes = FP32_LANES_PER_SM.get(props.major, 0)
        clock_khz = getattr(props, "clock_rate", 0)
        if lanes and clock_khz:
            peak = props.multi_processor_count * lanes * 2 * clock_khz * 1e3
            return peak, "SMs x FP32 lanes x 2 x clock"
    except (ImportError, RuntimeError, AssertionError):
        pass
    return 0.0, "unknown device"


def torch_cuda() -> Any:
    """torch, if it can put tensors on the GPU (for the device-input rows)."""
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def to_device(torch: Any, case: Case) -> Case:
    """The case as CUDA tensors (the engine takes them without a host copy)."""
    style, guides = case

    def cuda(array: np.ndarray) -> Any:
        return torch.from_numpy(array).cuda()

    return cuda(style), [(cuda(s), cuda(t), w) for s, t, w in guides]


def run_cpu_cases(args: argparse.Namespace) -> None:
    threads = args.threads or os.cpu_count() or 1
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; threads={threads}; "
        f"backend=cpu; median of {args.runs}"
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
            result = synthesize(style, guides, params=params, threads=threads, backend="cpu")
            seconds.append(time.perf_counter() - start)
            error = float(result.error.mean())
        median = statistics.median(seconds)
        source = (style.shape[1], style.shape[0])
        evals, _ = nominal_evaluations(width, height, params, source)
        print(
            f"{name:24s} {width:5d}x{height:<5d} {style.shape[2]:>3d}+{guide_channels:<3d} "
            f"{median:9.2f} {evals / median / 1e6:8.1f} {error:9.1f}",
            flush=True,
        )


def timed_cuda(case: Case, params: SynthesisParams, runs: int) -> tuple[float, float]:
    """Median seconds of `runs` CUDA syntheses after one warm-up, and the final mean error."""
    style, guides = case
    synthesize(style, guides, params=params, backend="cuda")  # warm-up: context, pool, caches
    seconds, error = [], 0.0
    for _ in range(runs):
        start = time.perf_counter()
        result = synthesize(style, guides, params=params, backend="cuda")
        seconds.append(time.perf_counter() - start)  # returns once the result is complete
        error = float(result.error.mean())
    return statistics.median(seconds), error


def run_cuda_cases(args: argparse.Namespace) -> None:
    available, reason = cuda_available()
    if not available:
        print(f"CUDA unavailable: {reason}; CUDA cases skipped")
        return
    peak, peak_source = fp32_peak_flops()
    peak_text = f"{peak / 1e12:.1f} TFLOP/s FP32 ({peak_source})" if peak else "FP32 peak unknown"
    torch = torch_cuda()
    print(
        f"device: {reason}; {peak_text}; median of {args.cuda_runs} after a warm-up; "
        f"dev rows: {'torch CUDA tensors in and out' if torch else 'skipped (no torch CUDA)'}"
    )
    print(
        f"{'case':26s} {'input':>5s} {'size':>11s} {'ch s+g':>7s} {'s/pass':>8s} {'Geval/s':>8s} "
        f"{'TFLOP':>7s} {'bound':>6s} {'mean err':>9s}"
    )
    for name in args.cuda_cases.split(","):
        make, params = CUDA_CASES[name]
        case = make()
        style, guides = case
        height, width = guides[0][1].shape[:2]
        guide_channels = sum(g[0].shape[2] for g in guides)
        channels = style.shape[2] + guide_channels
        evals, flop_per_channel = nominal_evaluations(
            width, height, params, (style.shape[1], style.shape[0]), propagation=4
        )
        flop = flop_per_channel * channels
        inputs = [("host", case)] + ([("dev", to_device(torch, case))] if torch else [])
        for label, job in inputs:
            median, error = timed_cuda(job, params, args.cuda_runs)
            bound = f"{flop / peak / median:6.1%}" if peak else f"{'n/a':>6s}"
            print(
                f"{name:26s} {label:>5s} {width:5d}x{height:<5d} "
                f"{style.shape[2]:>3d}+{guide_channels:<3d} {median:8.3f} "
                f"{evals / median / 1e9:8.2f} {flop / 1e12:7.2f} {bound} {error:9.1f}",
                flush=True,
            )
    if args.no_memory_case:
        return
    name, make, params = MEMORY_CASE
    case = make()
    for label, job in [("host", case)] + ([("dev", to_device(torch, case))] if torch else []):
        style, guides = job
        start = time.perf_counter()
        synthesize(style, guides, params=params, backend="cuda")
        seconds = time.perf_counter() - start
        print(
            f"{name:26s} {label:>5s} one pass {seconds:.2f} s (cold), "
            f"peak device memory {last_cuda_peak_bytes() / 2**30:.2f} GiB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["cpu", "cuda"], help="run one backend's cases")
    parser.add_argument("--runs", type=int, default=3, help="CPU runs per case (median)")
    parser.add_argument("--cases", default=",".join(CASES), help="CPU cases")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--cuda-runs", type=int, default=5, help="CUDA runs after a warm-up")
    parser.add_argument("--cuda-cases", default=",".join(CUDA_CASES))
    parser.add_argument("--no-memory-case", action="store_true", help="skip the 4K CUDA case")
    args = parser.parse_args()
    if args.only != "cuda":
        run_cpu_cases(args)
    if args.only != "cpu":
        run_cuda_cases(args)


if __name__ == "__main__":
    main()
