# SPDX-License-Identifier: Apache-2.0
"""Frame transport to and from a ``synthfx serve`` on loopback: shared memory vs streaming.

A round trip uploads one float RGBA frame the server does not hold yet (UploadFrames) and
downloads it again (DownloadFrame) into the caller's buffer. Times are medians of
``--repeats`` runs after a warm-up. MB/s counts the bytes moved both ways; the ratio compares
with one in-process memcpy of as many bytes (1.0 = as fast as memcpy). The server
checks the SHA-256 of streamed uploads (shared memory ones come from the same user, see
synthfx.client.shm); the client's check of downloads is off here, as it is not transport.

    .venv/bin/python bench/transport.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from machine import cpu_model
from synthfx.client import BackendClient, Payload
from synthfx.client.buffers import fresh_buffer

SIZES = {"1080p": (1080, 1920), "4K": (2160, 3840)}
CHANNELS = 4
MB = 1e6


def start_server(directory: Path) -> tuple[subprocess.Popen, str]:
    ready = directory / "ready"
    command = [
        sys.executable, "-m", "synthfx.cli", "serve", "--listen", "127.0.0.1:0",
        "--cache-dir", str(directory / "cache"), "--frame-store-mb", "2048",
        "--ready-file", str(ready), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("synthfx serve did not start")
        time.sleep(0.05)
    return process, ready.read_text().strip()


def median_seconds(action, repeats: int) -> float:
    action()  # warm-up: page faults, connections, allocations
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def memcpy_seconds(frame: np.ndarray, repeats: int) -> float:
    """One copy of the round trip's bytes (there and back: twice the frame)."""
    source = np.concatenate([frame.reshape(-1), frame.reshape(-1)])
    target = np.empty_like(source)
    return median_seconds(lambda: np.copyto(target, source), repeats)


def fresh_memcpy_seconds(frame: np.ndarray, repeats: int) -> float:
    """The same copy into newly allocated memory, as the server's store of a new frame needs
    (page faults; on virtual machines the host may also have to back the pages)."""
    source = np.concatenate([frame.reshape(-1), frame.reshape(-1)])
    return median_seconds(
        lambda: fresh_buffer(source.nbytes).__setitem__(slice(None), source.data.cast("B")), repeats
    )


def distinct_payloads(frame: np.ndarray, count: int) -> list[Payload]:
    """``count`` frames differing in one pixel: each upload is new content to the server."""
    payloads = []
    for index in range(count):
        frame[0, 0, 0] = index
        payloads.append(Payload.of(frame))
    return payloads


def round_trip(address: str, payloads: list[Payload], shared_memory: str) -> float:
    """Median time of uploading one new frame and downloading it again."""
    received = np.empty(len(payloads[0].data), np.uint8)  # the caller's buffer, e.g. a host's
    with BackendClient(address, shared_memory=shared_memory, verify=False) as client:
        times = []
        for payload in payloads:
            started = time.perf_counter()
            client.upload([payload], force=True)
            client.download(payload.image.content_hash, into=received)
            times.append(time.perf_counter() - started)
        return statistics.median(times[1:])  # the first warms up connection and segments


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {platform.system()} {platform.release()}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as directory:
        process, address = start_server(Path(directory))
        try:
            print(f"server: {address} (loopback)")
            print(f"{'frame':6} {'MB':>7} {'path':14} {'MB/s':>9} {'x memcpy':>9}")
            for name, (height, width) in SIZES.items():
                frame = rng.random((height, width, CHANNELS), dtype=np.float32)
                payload = Payload.of(frame)
                moved = 2 * len(payload.data)
                base = memcpy_seconds(frame, args.repeats)
                started = time.perf_counter()
                hashlib.sha256(payload.data).digest()
                hashed = time.perf_counter() - started
                rows = [
                    ("memcpy", base),
                    ("memcpy (fresh)", fresh_memcpy_seconds(frame, args.repeats)),
                    ("sha256 (one way)", 2 * hashed),
                ]
                for path, mode in (("shared memory", "always"), ("streaming", "never")):
                    payloads = distinct_payloads(frame, args.repeats + 1)
                    rows.append((path, round_trip(address, payloads, mode)))
                    del payloads
                for path, seconds in rows:
                    print(
                        f"{name:6} {moved / MB:7.1f} {path:14} {moved / seconds / MB:9.0f} "
                        f"{seconds / base:9.2f}"
                    )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
