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
"cpu s" is the CPU time of the process and all it started (sampled from /proc every
``SAMPLE_S``), as driver + Ray's daemons + Ray's workers, and "others" the cores the machine's
other processes kept busy meanwhile (its whole CPU time less ours, over the wall time): on a
shared machine the workers get only what those leave. "side by side" is the same bound without
Ray: one pass (one thread) alone, then two copies of it at once in two processes.
Per task: a no-op Ray task and a pass whose frames are all in the cache (the fixed cost of a
segment: opening and hashing its shot), each the median of warm repeats.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2

from machine import cpu_model
from synthfx.cluster.shot import ShotSpec
from synthfx.demo.clip import bundled_clip_path
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.pipeline import StylizeOptions, painterly

SEGMENTS = 4
FIRST = 1001
REPEATS = 20
SAMPLE_S = 0.2
_TICKS = os.sysconf("SC_CLK_TCK")


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


def machine_cpu_seconds() -> float:
    """CPU seconds every process of the machine has run since boot (/proc/stat, not idle)."""
    user, nice, system, _idle, _iowait, irq, softirq = Path("/proc/stat").read_text().split()[1:8]
    return sum(int(v) for v in (user, nice, system, irq, softirq)) / _TICKS


def _processes() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds, command line) of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue  # it exited meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        utime, stime = int(fields[11]), int(fields[12])
        table[int(entry.name)] = (int(fields[1]), (utime + stime) / _TICKS, command)
    return table


def kind_of(command: str, is_root: bool) -> str:
    """driver, worker (Ray titles its worker processes ray::IDLE, ray::<task>) or ray."""
    if is_root:
        return "driver"
    if command.startswith("ray::") and not command.endswith("Agent"):
        return "worker"
    return "ray"


class TreeCpu:
    """CPU seconds of a process and its descendants by kind, sampled while it runs."""

    def __init__(self, root: int) -> None:
        self._root = root
        self._seconds: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            table = _processes()
            tree = {self._root}
            grew = True
            while grew:
                grew = False
                for pid, (parent, _, _) in table.items():
                    if parent in tree and pid not in tree:
                        tree.add(pid)
                        grew = True
            for pid in tree & table.keys():
                _, seconds, command = table[pid]
                kind = kind_of(command, pid == self._root)
                if self._seconds.get(pid, ("",))[0] == "worker":
                    kind = "worker"  # an exited worker (a zombie) has no command line
                self._seconds[pid] = (kind, seconds)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        by_kind = {"driver": 0.0, "ray": 0.0, "worker": 0.0}
        for kind, seconds in self._seconds.values():
            by_kind[kind] += seconds
        return by_kind


def stylize(root: Path, keys: list[int], out: Path, *extra: str) -> tuple[dict, float, dict]:
    command = [
        sys.executable, "-m", "synthfx.cli", "stylize", "--frames", str(root / "f.####.exr"),
        "--range", f"{keys[0]}-{keys[-1]}", "--out", str(out / "s.####.exr"), "--json",
        "--quiet", *[a for k in keys for a in ("--key", f"{k}={root / f'k.{k}.exr'}")], *extra,
    ]  # fmt: skip
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    machine = machine_cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    cpu = TreeCpu(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    cpu_seconds = cpu.stop()
    if process.returncode:
        raise SystemExit(f"synthfx stylize failed: {stderr.strip()}")
    cpu_seconds["others"] = (machine_cpu_seconds() - machine - sum(cpu_seconds.values())) / wall
    return json.loads(stdout.strip().splitlines()[-1]), wall, cpu_seconds


def _one_pass(shot: ShotSpec, cache: str) -> float:
    """Seconds of the shot's first pass, one thread, into an empty cache (no Ray)."""
    from synthfx.cluster.tasks import synthesize_pass
    from synthfx.pipeline.planning import plan_segments

    spec = dataclasses.replace(shot, cache_dir=cache)
    run = plan_segments(spec.first, spec.last, list(spec.keys)).passes[0]
    start = time.perf_counter()
    synthesize_pass(spec, run, 1)
    return time.perf_counter() - start


def side_by_side(root: Path, keys: list[int]) -> tuple[float, float]:
    """(one pass alone, two copies at once in two processes) wall seconds."""
    shot = shot_spec(root, keys, root / "unused")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(time.sleep, [1.0, 1.0], chunksize=1)  # both processes started
        alone = pool.apply(_one_pass, (shot, str(root / "alone")))
        start = time.perf_counter()
        pool.starmap(_one_pass, [(shot, str(root / f"pair{i}")) for i in (0, 1)], chunksize=1)
        return alone, time.perf_counter() - start


def _noop() -> int:
    return 0


def shot_spec(root: Path, keys: list[int], cache: Path) -> ShotSpec:
    return ShotSpec(
        frames=str(root / "f.####.exr"), first=keys[0], last=keys[-1], mask=None,
        keys={k: read_image(root / f"k.{k}.exr").pixels for k in keys},
        options=StylizeOptions(), cache_dir=str(cache),
    )  # fmt: skip


def per_task_seconds(root: Path, keys: list[int], cache: Path) -> tuple[float, float]:
    """(no-op task, stored-pass task) median seconds on a warm local Ray."""
    import numpy as np
    import ray

    from synthfx.cluster.tasks import synthesize_pass
    from synthfx.pipeline.planning import plan_segments

    shot = shot_spec(root, keys, cache)
    run = plan_segments(keys[0], keys[-1], keys).passes[0]
    ray.init(address="local", num_cpus=1, include_dashboard=False, logging_level=logging.WARNING)
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
        alone, pair = side_by_side(root, keys)
        print(f"side by side: one pass alone {alone:.1f} s, two at once {pair:.1f} s: "
              f"{2 * alone / pair:.2f}x")  # fmt: skip
        seconds = {}
        print(f"{'configuration':>18s} {'job s':>8s} {'wall s':>8s} {'tasks s':>8s} {'busy':>6s} "
              f"{'cpu s (driver + ray + workers)':>31s} {'others':>6s}")  # fmt: skip
        for name, workers in configs:
            extra = ("--cluster", "ray:auto", "--workers", str(workers), "--task-cpus", "1")
            out = root / name.replace(" ", "_")
            report, wall, cpu = stylize(root, keys, out, *(extra if workers else ()))
            seconds[name] = (report["seconds"], wall)
            tasks = report.get("task_seconds", 0.0)
            busy = f"{tasks / (workers * report['seconds']):6.0%}" if workers else ""
            split = f"{cpu['driver']:.1f} + {cpu['ray']:.1f} + {cpu['worker']:.1f}"
            print(f"{name:>18s} {report['seconds']:8.1f} {wall:8.1f} {tasks:8.1f} {busy:>6s} "
                  f"{split:>31s} {cpu['others']:6.2f}")  # fmt: skip
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
