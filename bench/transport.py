# SPDX-License-Identifier: Apache-2.0
"""Frame transport to and from a ``synthfx serve`` on loopback: shared memory vs streaming.

"upload" rows send one float RGBA frame the server does not hold yet (UploadFrames), as the
plugin sends each new frame; "render from cache" rows are a Render of a frame whose result the
server has cached (what a host's re-render or scrub costs: the cached result read, encoded,
hashed and sent back). Times are medians of ``--repeats`` runs in a long-running backend's
steady state: its frame store is full, so every new frame replaces an old one and its memory
is recycled; "(cold)" rows are the first upload of a fresh server, where new memory is being
faulted in. MB/s counts the frame's bytes once (both ways for "bare Python gRPC"); the ratio
compares with one in-process memcpy of as many bytes (1.0 = as fast as memcpy). The "C++
client" row streams as the OFX plugin does (when build/cpp has bench/transport_client.cpp
built); "copy_bytes" is the threaded copy synthfx uses for payloads, and "bare Python gRPC" a
round trip of raw bytes messages between two processes (no protobuf, hashing or storage: the
ceiling of streaming through Python gRPC). The server checks the content hash (BLAKE3) of
streamed uploads (shared memory ones come from the same user, see synthfx.transport.shm); the
client's check of results is off here, as it is not transport ("content hash" is its cost).

    .venv/bin/python bench/transport.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from grpc_ceiling import raw_round_trip_seconds
from machine import cpu_model
from synthfx.client import BackendClient, Payload
from synthfx.client.backend import DEFAULT_CHUNK_BYTES
from synthfx.transport.buffers import copy_bytes, fresh_buffer
from synthfx.transport.wire import content_hash
from synthfx.v1 import synthfx_pb2 as pb

SIZES = {"1080p": (1080, 1920), "4K": (2160, 3840)}
CHANNELS = 4
MB = 1e6
STORE_MB = 600  # small, so that the steady state (a full store) is reached quickly
# The C++ client (bench/transport_client.cpp, built with the plugin by `make cpp-test`).
CPP_CLIENT = Path(__file__).resolve().parents[1] / "build/cpp/ofx_plugin/synthfx_transport_client"


def start_server(directory: Path) -> tuple[subprocess.Popen, str]:
    ready = directory / "ready"
    command = [
        sys.executable, "-m", "synthfx.cli", "serve", "--listen", "127.0.0.1:0",
        "--cache-dir", str(directory / "cache"), "--frame-store-mb", str(STORE_MB),
        "--frame-disk-mb", "0",
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
    """One in-process copy of the frame."""
    source = frame.reshape(-1)
    target = np.empty_like(source)
    return median_seconds(lambda: np.copyto(target, source), repeats)


def threaded_copy_seconds(frame: np.ndarray, repeats: int) -> float:
    """The same copy by ``copy_bytes``, which clients and server use for payloads (split over
    a few threads when large)."""
    source = frame.reshape(-1)
    target = np.empty_like(source)
    return median_seconds(lambda: copy_bytes(memoryview(target), memoryview(source)), repeats)


def fresh_memcpy_seconds(frame: np.ndarray, repeats: int) -> float:
    """The same copy into newly allocated memory, as the server's store of a new frame needs
    (page faults; on virtual machines the host may also have to back the pages)."""
    source = frame.reshape(-1)
    return median_seconds(
        lambda: fresh_buffer(source.nbytes).__setitem__(slice(None), source.data.cast("B")), repeats
    )


def uploads(address: str, frame: np.ndarray, shared_memory: str, repeats: int):
    """(cold, steady) seconds of uploading a frame the server does not hold: the first upload
    of a fresh connection and server memory, and the median of ``repeats`` once the store has
    been filled twice over (all its memory recycled). Each upload's session is closed
    afterwards (untimed), so the frame store may evict its frame."""
    warm_ups = 2 * (STORE_MB * (1 << 20) // frame.nbytes) + 2
    with BackendClient(address, shared_memory=shared_memory, verify=False) as client:
        times = []
        for index in range(warm_ups + repeats):
            frame[0, 0, 0] = index  # new content: the server does not hold it yet
            payload = Payload.of(frame)
            client.open_session()
            started = time.perf_counter()
            client.upload([payload], force=True)
            times.append(time.perf_counter() - started)
            client.close_session()
    return times[0], statistics.median(times[warm_ups:])


def cached_renders(address: str, frame: np.ndarray, shared_memory: str, repeats: int) -> float:
    """Median seconds of a Render whose result is cached: a one-frame job keyed by the frame
    itself (its result is the key), rendered once untimed to fill the cache."""
    params = pb.StylizeParams(flow="dis-ultrafast")
    with BackendClient(address, shared_memory=shared_memory, verify=False) as client:
        job = client.upload_job({0: frame}, {0: frame}, params=params)
        client.render(job, 0)
        return median_seconds(lambda: client.render(job, 0), repeats)


def cpp_uploads(address: str, repeats: int) -> dict[str, tuple[float, float]]:
    """(cold, steady) seconds per size name of streamed uploads by the C++ client, or nothing
    when it is not built."""
    if not CPP_CLIENT.exists():
        return {}
    sizes = {f"{w}x{h}": name for name, (h, w) in SIZES.items()}
    command = [str(CPP_CLIENT), address, str(repeats), str(STORE_MB), *sizes]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    times = {}
    for line in output.splitlines():
        size, cold, steady = line.split()
        times[sizes[size]] = (float(cold), float(steady))
    return times


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
            print(f"{'frame':6} {'MB':>7} {'path':32} {'MB/s':>9} {'x memcpy':>9}")
            cpp = cpp_uploads(address, args.repeats)
            for name, (height, width) in SIZES.items():
                frame = rng.random((height, width, CHANNELS), dtype=np.float32)
                payload = Payload.of(frame)
                size = len(payload.data)
                base = memcpy_seconds(frame, args.repeats)
                rows = [
                    ("memcpy", base, size),
                    ("memcpy (fresh)", fresh_memcpy_seconds(frame, args.repeats), size),
                    ("copy_bytes (threads)", threaded_copy_seconds(frame, args.repeats), size),
                    (
                        "content hash",
                        median_seconds(partial(content_hash, payload.data), args.repeats),
                        size,
                    ),
                    (
                        "bare Python gRPC",
                        raw_round_trip_seconds(payload.data, DEFAULT_CHUNK_BYTES, args.repeats),
                        2 * size,
                    ),
                ]
                for path, mode in (("shared memory", "always"), ("streaming", "never")):
                    cold, steady = uploads(address, frame, mode, args.repeats)
                    rows += [(f"upload, {path}", steady, size), ("  (cold)", cold, size)]
                if name in cpp:
                    cold, steady = cpp[name]
                    rows += [("upload, C++ client", steady, size), ("  (cold)", cold, size)]
                for path, mode in (("shared memory", "always"), ("streaming", "never")):
                    seconds = cached_renders(address, frame, mode, args.repeats)
                    rows.append((f"render from cache, {path}", seconds, size))
                for path, seconds, moved in rows:
                    print(
                        f"{name:6} {moved / MB:7.1f} {path:32} {moved / seconds / MB:9.0f} "
                        f"{seconds / base * size / moved:9.2f}"
                    )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
