# SPDX-License-Identifier: Apache-2.0
"""Helpers of the service tests: real ``synthfx serve`` processes on loopback, a small synthetic
shot and fast job parameters."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthfx.v1 import synthfx_pb2 as pb

HEIGHT, WIDTH = 48, 64


def synthetic_shot(
    frames: int, *, seed: int = 0, height: int = HEIGHT, width: int = WIDTH
) -> dict[int, np.ndarray]:
    """A textured plate panning right one pixel per frame: (H, W, 3) float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((height // 4 + 2, (width + frames) // 4 + 2, 3)).astype(np.float32)
    plate = np.kron(coarse, np.ones((4, 4, 1), np.float32))
    plate = 0.7 * plate + 0.3 * rng.random(plate.shape).astype(np.float32)
    return {f: np.ascontiguousarray(plate[:height, f : f + width]) for f in range(frames)}


def paint(frame: np.ndarray, variant: int = 0) -> np.ndarray:
    """A 'painted' keyframe: a deterministic recolouring of the frame."""
    shifted = np.roll(frame, variant + 1, axis=2)
    return np.ascontiguousarray(np.clip(shifted * 0.8 + 0.1 * (variant % 3), 0, 1))


# Small engine settings: the tests exercise the service, not synthesis quality.
FAST_ENGINE = {"patch_size": 5, "pyramid_levels": 2, "search_vote_iters": 2, "patchmatch_iters": 2}
FAST_FLOW = "dis-ultrafast"


def fast_params(**engine: int) -> pb.StylizeParams:
    return pb.StylizeParams(flow=FAST_FLOW, engine=pb.EngineParams(**{**FAST_ENGINE, **engine}))


def reference_render(
    shot: dict[int, np.ndarray],
    keys: dict[int, np.ndarray],
    params: pb.StylizeParams,
    frames: list[int],
) -> dict[int, np.ndarray]:
    """The pipeline's own output for ``frames``, in this process (no service involved)."""
    from synthfx.pipeline import MemoryFrames, Stylizer
    from synthfx.service.params import stylize_options

    options = stylize_options(params, None)
    with Stylizer(MemoryFrames(shot), keys, options=options) as stylizer:
        return {f: stylizer.render(f).image for f in frames}


def float32_hash(image: np.ndarray) -> str:
    """Content hash of a float32 top-down result as the backend sends it."""
    from synthfx.transport.wire import content_hash

    return content_hash(np.ascontiguousarray(image, dtype="<f4").tobytes())


STARTUP_TIMEOUT_S = 60.0


@dataclass
class ServerProcess:
    """A running ``synthfx serve``; ``address`` is where it listens."""

    process: subprocess.Popen
    address: str
    cache_dir: Path
    log_path: Path
    args: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """kill -9: no cleanup at all."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(directory: Path, cache_dir: Path, *args: str) -> ServerProcess:
    """Starts ``synthfx serve`` on a free loopback port and waits until it serves."""
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory / f"ready-{time.monotonic_ns()}"
    log_path = directory / f"serve-{time.monotonic_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "synthfx.cli",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--cache-dir",
        str(cache_dir),
        "--ready-file",
        str(ready),
        *args,
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"synthfx serve exited with {process.returncode}:\n{log_path.read_text()}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"synthfx serve did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return ServerProcess(process, ready.read_text().strip(), cache_dir, log_path, command)
