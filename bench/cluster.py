# SPDX-License-Identifier: Apache-2.0
"""``--cluster`` scaling: a 4-segment 960x540 shot with 1 and with 2 Ray workers, and what
Ray costs per task, in one run.

Run: ``.venv/bin/python bench/cluster.py [--size 960x540] [--segment-frames 3]``.

The shot: Big Buck Bunny frames resized to the size, keys every ``segment-frames`` frames so
there are 4 segments between 5 keys (8 passes, Ezsynth's video parameters). Each
configuration is ``synthfx stylize`` in a fresh process with its own cache: on this machine
(engine threads = all cores), ``--cluster ray:auto --workers 1`` and ``--workers 2`` (one
thread per task). "job s" is the stylize's own time (Ray already started), "wall s" the
process's, "tasks s" the passes' seconds summed over the workers and "busy" that over
workers x job s (the rest: worker start-up, waiting on the driver's blends, the last frames).
Per task: a no-op Ray task and a pass whose frames are all in the cache (the fixed cost of a
segment: opening and hashing its shot), each the median of warm repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from machine import cpu_model
from synthfx.demo.clip import bundled_clip_path
from synthfx.io import FrameRange, VideoReader, write_image
from synthfx.pipeline import painterly

SEGMENTS = 4
FIRST = 1001
REPEATS = 20


def make_shot(root: Path, size: tuple[int, int], segment_frames: int) -> list[int]:
    """Writes the shot's frames and keys under ``root``; returns the keys."""
    count = SEGMENTS * segment_frames + 1
    keys = [FIRST + i * segment_frames for i in range(SEGMENTS + 1)]
    with VideoReader(bundled_clip_path()) as reader:
        for index, pixels in reader.frames(FrameRange(0, count - 1)):
            frame = FIRST + index
            image = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
            write_image(root / f"f.{frame:04d}.exr", image, dtype="half")
            if frame in keys:
                write_image(root / f"k.{frame:04d}.exr", painterly(image), dtype="half")
    return keys


def stylize(root: Path, keys: list[int], out: Path, *extra: str) -> tuple[dict, float]:
    command = [
        sys.executable, "-m", "synthfx.cli", "stylize", "--frames", str(root / "f.####.exr"),
        "--range", f"{keys[0]}-{keys[-1]}", "--out", str(out / "s.####.exr"), "--json",
        "--quiet", *[a for k in keys for a in ("--key", f"{k}={root / f'k.{k}.exr'}")], *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def _noop() -> int:
    return 0


def per_task_seconds(root: Path, keys: list[int], cache: Path) -> tuple[float, float]:
    """(no-op task, stored-pass task) median seconds on a warm local Ray."""
    import numpy as np
    import ray

    from synthfx.cluster.shot import ShotSpec
    from synthfx.cluster.tasks import synthesize_pass
    from synthfx.io import read_image
    from synthfx.pipeline import StylizeOptions
    from synthfx.pipeline.planning import plan_segments

    shot = ShotSpec(
        frames=str(root / "f.####.exr"), first=keys[0], last=keys[-1], mask=None,
        keys={k: read_image(root / f"k.{k}.exr").pixels for k in keys},
        options=StylizeOptions(), cache_dir=str(cache),
    )  # fmt: skip
    run = plan_segments(keys[0], keys[-1], keys).passes[0]
    ray.init(address="local", num_cpus=1, include_dashboard=False, logging_level="WARNING")
    try:
        noop = ray.remote(_noop).options(num_cpus=1)
        stored = ray.remote(synthesize_pass).options(num_cpus=1, max_retries=0)
        shot_ref = ray.put(shot)
        timings: dict[str, list[float]] = {"noop": [], "stored": []}
        for _ in range(REPEATS + 1):  # the first warms the worker up
            for name, call in (
                ("noop", lambda: noop.remote()),
                ("stored", lambda: stored.remote(shot_ref, run, 1)),
            ):
                start = time.perf_counter()
                ray.get(call())
                timings[name].append(time.perf_counter() - start)
        return tuple(float(np.median(t[1:])) for t in timings.values())  # type: ignore[return-value]
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="960x540")
    parser.add_argument("--segment-frames", type=int, default=3, help="frames from key to key")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    load = os.getloadavg()
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="synthfx-bench-cluster-") as temp:
        root = Path(temp)
        keys = make_shot(root, (width, height), args.segment_frames)
        frames = keys[-1] - keys[0] + 1
        passes = f"{2 * SEGMENTS} passes of {args.segment_frames - 1} frames"
        print(f"shot: {args.size}, {frames} frames, keys {keys} ({SEGMENTS} segments, {passes})")
        configs = [
            ("local, all cores", 0),
            ("ray 1 worker", 1),
            ("ray 2 workers", 2),
        ]
        seconds = {}
        print(f"{'configuration':>18s} {'job s':>8s} {'wall s':>8s} {'tasks s':>8s} {'busy':>6s}")
        for name, workers in configs:
            extra = ("--cluster", "ray:auto", "--workers", str(workers), "--task-cpus", "1")
            out = root / name.replace(" ", "_")
            report, wall = stylize(root, keys, out, *(extra if workers else ()))
            seconds[name] = (report["seconds"], wall)
            tasks = report.get("task_seconds", 0.0)
            busy = f"{tasks / (workers * report['seconds']):6.0%}" if workers else ""
            print(f"{name:>18s} {report['seconds']:8.1f} {wall:8.1f} {tasks:8.1f} {busy:>6s}")
        one, two = seconds["ray 1 worker"], seconds["ray 2 workers"]
        print(
            f"scaling 1 -> 2 workers: {one[0] / two[0]:.2f}x (job), {one[1] / two[1]:.2f}x (wall)"
        )
        noop, stored = per_task_seconds(root, keys, root / "ray_2_workers" / ".synthfx")
        print(f"per task: no-op {noop * 1e3:.1f} ms, a stored segment {stored * 1e3:.1f} ms")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
