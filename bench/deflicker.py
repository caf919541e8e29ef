# SPDX-License-Identifier: Apache-2.0
"""Deflicker quality against a known answer, and seconds per frame by mode and window.

Run: ``.venv/bin/python bench/deflicker.py [--size 160x90] [--frames 12] [--window 6]
[--time-size 384x256] [--time-windows 4,8,16] [--accurate-max 8] [--repeats 1]
[--skip-quality | --skip-timing]``; issue 14's timing: ``--skip-quality --time-size 768x512
--time-windows 8,16,32 --accurate-max 32``.

Quality: Big Buck Bunny frames (from frame 40, where the clip moves) resized to ``--size``;
truth T = ``painterly(plate)``; input X = ``add_flicker(T, seed)`` (per-frame gain, gamma,
colour cast, offset and a re-seeded texture). Printed per mode and for two baselines (the
input; the mean of the window's input frames, plain and warped along DIS flow of the plate):
PSNR against T, PSNR of the high-pass (detail), and the flicker (mean absolute change between
consecutive frames) against T's own, with seconds. Timing: ``render(t)`` of a middle frame
per mode and window at ``--time-size``, wall and CPU seconds (the median of ``--repeats``), with
the remap count (fast: O(log window)), peak RSS and the load average (a shared machine's
other jobs show there).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from machine import cpu_model
from synthfx.deflicker import Deflicker, DeflickerOptions
from synthfx.deflicker.flicker import add_flicker
from synthfx.demo.clip import bundled_clip_path
from synthfx.flow.factory import make_flow_estimator
from synthfx.flow.warp import backward_warp
from synthfx.io import FrameRange, VideoReader
from synthfx.pipeline import MemoryFrames, painterly

FIRST = 40
MODES = ("fast", "balanced", "accurate")


def size_of(text: str) -> tuple[int, int]:
    width, height = (int(v) for v in text.split("x"))
    return width, height


def plate(size: tuple[int, int], count: int) -> dict[int, np.ndarray]:
    with VideoReader(bundled_clip_path()) as reader:
        frames = reader.frames(FrameRange(FIRST, FIRST + count - 1))
        return {
            f - FIRST: np.clip(cv2.resize(p, size, interpolation=cv2.INTER_AREA), 0, 1)
            for f, p in frames
        }


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(-10.0 * np.log10(np.mean(np.square(a.astype(np.float64) - b))))


def high_pass(image: np.ndarray) -> np.ndarray:
    return image - cv2.GaussianBlur(image, (0, 0), 2.0)


def change(frames: dict) -> float:
    """Mean absolute change between consecutive frames (flicker, plus the motion's own)."""
    shot = sorted(frames)
    return float(
        np.mean([np.abs(frames[b] - frames[a]).mean() for a, b in itertools.pairwise(shot)])
    )


def figures(out: dict, truth: dict) -> tuple[float, float, float]:
    """(PSNR, detail PSNR, flicker) of a sequence against the truth."""
    return (
        float(np.mean([psnr(out[f], truth[f]) for f in truth])),
        float(np.mean([psnr(high_pass(out[f]), high_pass(truth[f])) for f in truth])),
        change(out),
    )


def window_average(frames: dict, guide: dict, window: int, warped: bool) -> dict:
    """Each frame the mean of its window's input frames, optionally warped onto it (DIS)."""
    flow = make_flow_estimator("dis-medium")
    out = {}
    for f in frames:
        near = [g for g in frames if abs(g - f) <= window]
        images = [
            backward_warp(frames[g], flow.compute(guide[f], guide[g])) if warped and g != f
            else frames[g]
            for g in near
        ]  # fmt: skip
        out[f] = np.mean(images, axis=0)
    return out


def quality(args: argparse.Namespace) -> None:
    guide = plate(size_of(args.size), args.frames)
    truth = {f: painterly(p) for f, p in guide.items()}
    flickering = {f: add_flicker(t, seed=1000 + f) for f, t in truth.items()}
    print(f"known answer: {args.size}, {args.frames} frames, window {args.window}")
    print(f"{'':24s} {'PSNR dB':>8s} {'detail dB':>9s} {'flicker':>8s} {'seconds':>8s} remaps")
    print(f"{'truth':24s} {'':8s} {'':9s} {change(truth):8.4f}")
    rows: list[tuple[str, dict, float, int]] = [("input", flickering, 0.0, 0)]
    for warped in (False, True):
        start = time.perf_counter()
        average = window_average(flickering, guide, args.window, warped)
        name = "flow-warped average" if warped else "temporal average"
        rows.append((name, average, time.perf_counter() - start, 0))
    for mode in MODES:
        job = Deflicker(
            MemoryFrames(flickering),
            MemoryFrames(guide),
            options=DeflickerOptions(mode=mode, window=args.window),
        )
        out: dict = {}
        summary = job.run(lambda frame, result, out=out: out.__setitem__(frame, result.image))
        rows.append((f"deflicker {mode}", out, summary.seconds, summary.remaps))
    for name, out, seconds, remaps in rows:
        value, detail, moved = figures(out, truth)
        print(f"{name:24s} {value:8.2f} {detail:9.2f} {moved:8.4f} {seconds:8.1f} {remaps:6d}")


def timing(args: argparse.Namespace) -> None:
    windows = [int(w) for w in args.time_windows.split(",")]
    guide = plate(size_of(args.time_size), 2 * max(windows) + 1)
    render = {f: add_flicker(painterly(p), seed=f) for f, p in guide.items()}
    centre = max(windows)
    inputs_mib = _rss_mib("VmRSS")
    # From here on the peak is the deflicker's (the decoded video it was cut from is gone).
    peak_reset = _reset_peak_rss()
    print(
        f"seconds per frame (render of one middle frame), {args.time_size}; median of "
        f"{args.repeats}: wall s, CPU s (all threads), remaps"
    )
    print(
        f"{'window':>6s} "
        + " ".join(f"{m + ' s':>12s} {'cpu s':>7s} {'remaps':>6s}" for m in MODES)
    )
    for window in windows:
        near = range(centre - window, centre + window + 1)  # the shot: just the window
        cells = []
        for mode in MODES:
            if mode == "accurate" and window > args.accurate_max:
                cells.append(f"{'-':>12s} {'-':>7s} {'-':>6s}")
                continue
            walls, cpus, remaps = [], [], 0
            for _ in range(args.repeats):
                job = Deflicker(
                    MemoryFrames({f: render[f] for f in near}),
                    MemoryFrames({f: guide[f] for f in near}),
                    options=DeflickerOptions(mode=mode, window=window),
                )
                start, start_cpu = time.perf_counter(), time.process_time()
                job.render(centre)
                walls.append(time.perf_counter() - start)
                cpus.append(time.process_time() - start_cpu)
                remaps = job.remaps
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            cells.append(f"{wall:12.2f} {cpu:7.2f} {remaps:6d}")
        print(f"{window:6d} " + " ".join(cells), flush=True)
    if peak_reset:
        peak = f"{_rss_mib('VmHWM'):.0f} MiB during the renders"
    else:
        peak = f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (process)"
    print(f"peak RSS {peak}; RSS before them {inputs_mib:.0f} MiB (the shot's frames held)")
    print(
        "load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    )


def _rss_mib(field: str) -> float:
    """A /proc/self/status memory figure (VmRSS, VmHWM) in MiB; 0 where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak_rss() -> bool:
    """Restarts the peak RSS (VmHWM) at the current RSS (Linux); whether it could."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _rss_mib("VmHWM") > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="160x90")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--window", type=int, default=6)
    parser.add_argument("--time-size", default="384x256")
    parser.add_argument("--time-windows", default="4,8,16")
    parser.add_argument("--accurate-max", type=int, default=8, help="largest accurate window")
    parser.add_argument("--repeats", type=int, default=1, help="timed renders per cell (median)")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; engine threads: all; CPU")
    print(
        "load average (1, 5, 15 min) at the start: "
        + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    )
    if not args.skip_quality:
        quality(args)
    if not args.skip_timing:
        timing(args)


if __name__ == "__main__":
    main()
