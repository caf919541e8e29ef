# SPDX-License-Identifier: Apache-2.0
"""Seconds per frame of the video pipeline by stage, and peak memory.

Run: ``.venv/bin/python bench/pipeline.py [--sizes 960x540,1920x1080] [--frames 5]``.

Each case runs in its own process (so its peak RSS is its own): a Big Buck Bunny excerpt
resized to the case's size is written as float EXRs, keys at the first and last frame are
painted with ``painterly``, and ``synthfx stylize``'s code path (Stylizer + EXR writer) runs
with Ezsynth's video parameters. Seconds per output frame are given per stage; synthesis
is per pass frame (two passes per in-between frame). The memory cases run the same job on
short and long shots with a light engine setting to show that peak RSS does not grow with
the shot's length.
"""

from __future__ import annotations

import argparse
import dataclasses
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
from synthfx.demo.clip import DEFAULT_FIRST, bundled_clip_path
from synthfx.engine import EZSYNTH_VIDEO_PARAMS
from synthfx.io import FrameRange, VideoReader, open_frames, write_image
from synthfx.pipeline import StylizeOptions, Stylizer, painterly
from synthfx.pipeline.outputs import SequenceWriter


def write_shot(root: Path, width: int, height: int, count: int) -> FrameRange:
    reader = VideoReader(bundled_clip_path())
    try:
        for frame, pixels in reader.frames(FrameRange(DEFAULT_FIRST, DEFAULT_FIRST + count - 1)):
            sized = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
            write_image(root / f"f.{frame:04d}.exr", np.clip(sized, 0, 1), dtype="float")
    finally:
        reader.close()
    return FrameRange(DEFAULT_FIRST, DEFAULT_FIRST + count - 1)


def run_case(width: int, height: int, count: int, light: bool) -> dict:
    """One job in this process; returns its figures."""
    engine = EZSYNTH_VIDEO_PARAMS
    if light:
        engine = dataclasses.replace(engine, search_vote_iters=1, patchmatch_iters=1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frame_range = write_shot(root, width, height, count)
        frames = open_frames(root / "f.####.exr", frame_range)
        keys = {f: painterly(frames.read(f)) for f in (frame_range.first, frame_range.last)}
        writer = SequenceWriter(root / "out" / "s.####.exr", dtype="half")
        start = time.perf_counter()
        with Stylizer(
            frames, keys, options=StylizeOptions(engine=engine), cache_dir=root / "cache"
        ) as stylizer:
            writer.attach(stylizer.store, stylizer.final_key)
            summary = stylizer.run(writer.write)
        seconds = time.perf_counter() - start
    pass_frames = 2 * (count - 2)
    return {
        "size": f"{width}x{height}",
        "frames": count,
        "light": light,
        "seconds": seconds,
        "per_output_frame": {k: v / count for k, v in summary.stage_seconds.items()},
        "synthesis_per_pass_frame": summary.stage_seconds["synthesis"] / max(pass_frames, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(args: argparse.Namespace) -> None:
    width, height = (int(v) for v in args.child.split("x"))
    print(json.dumps(run_case(width, height, args.frames, args.light)))


def spawn(size: str, frames: int, light: bool) -> dict:
    command = [sys.executable, __file__, "--child", size, "--frames", str(frames)]
    if light:
        command.append("--light")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="960x540,1920x1080")
    parser.add_argument("--frames", type=int, default=5, help="shot length (keys at both ends)")
    parser.add_argument("--memory-frames", default="6,24", help="shot lengths of the RSS cases")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--light", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; engine threads: all")
    print(f"Ezsynth video parameters; {args.frames}-frame shots, keys at both ends")
    stages = ("read", "flow", "guides", "synthesis", "blend", "write")
    header = " ".join(f"{s:>9s}" for s in stages)
    print(f"{'size':>10s} {header} {'total/f':>9s} {'synth/pf':>9s} {'peak RSS':>9s}")
    for size in args.sizes.split(","):
        result = spawn(size, args.frames, light=False)
        per = result["per_output_frame"]
        cells = " ".join(f"{per.get(s, 0.0):9.3f}" for s in stages)
        print(
            f"{size:>10s} {cells} {result['seconds'] / result['frames']:9.2f} "
            f"{result['synthesis_per_pass_frame']:9.2f} {result['peak_rss_mib']:7.0f}MiB"
        )
    print("peak RSS against shot length (960x540, light engine setting):")
    for count in (int(v) for v in args.memory_frames.split(",")):
        result = spawn("960x540", count, light=True)
        print(f"  {count:3d} frames: {result['peak_rss_mib']:.0f} MiB, {result['seconds']:.1f} s")


if __name__ == "__main__":
    main()
