# SPDX-License-Identifier: Apache-2.0
"""Render through a real ``synthfx serve``: equal to the CLI, random access, transports."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from service_testing import FAST_ENGINE, FAST_FLOW, fast_params, paint, synthetic_shot

from synthfx.client import BackendClient, Payload
from synthfx.errors import InputError
from synthfx.io import read_image, write_image
from synthfx.transport.shm import shared_memory_available
from synthfx.transport.wire import content_hash
from synthfx.v1 import synthfx_pb2 as pb


def test_smoke(server) -> None:
    with BackendClient(server.address) as client:
        info = client.info()
        assert info.protocol_major == pb.PROTOCOL_VERSION_MAJOR
        assert info.backend_version and info.engine_version
        assert [d.kind for d in info.devices] == ["cpu", "cuda"]
        assert info.limits.max_message_bytes >= info.limits.chunk_bytes > 0
        assert info.load.sessions == 1
        assert not info.auth_required
    with grpc.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "synthfx.v1.Synthfx"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    log_lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert {"serving", "session opened", "session closed"} <= {e["event"] for e in log_lines}


def _cli_job(tmp_path: Path, frames: dict, keys: dict) -> tuple[dict, dict]:
    """Writes the shot as float EXRs; returns what reading them back gives."""
    for f, pixels in frames.items():
        write_image(tmp_path / "shot" / f"f.{f:04d}.exr", pixels, dtype="float")
    for f, pixels in keys.items():
        write_image(tmp_path / "keys" / f"k{f}.exr", pixels, dtype="float")
    read_frames = {f: read_image(tmp_path / "shot" / f"f.{f:04d}.exr").pixels for f in frames}
    read_keys = {f: read_image(tmp_path / "keys" / f"k{f}.exr").pixels for f in keys}
    return read_frames, read_keys


def test_render_equals_cli_bit_for_bit(server, tmp_path: Path) -> None:
    shot = synthetic_shot(12)
    frames, keys = _cli_job(tmp_path, shot, {0: paint(shot[0]), 8: paint(shot[8], 1)})
    command = [
        sys.executable, "-m", "synthfx.cli", "stylize",
        "--frames", str(tmp_path / "shot" / "f.####.exr"),
        "--key", f"0={tmp_path / 'keys' / 'k0.exr'}",
        "--key", f"8={tmp_path / 'keys' / 'k8.exr'}",
        "--out", str(tmp_path / "out" / "o.####.exr"), "--dtype", "float",
        "--flow", FAST_FLOW, "--device", "cpu", "--quiet",
        *(f"--{name.replace('_', '-')}={value}" for name, value in FAST_ENGINE.items()),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    with BackendClient(server.address) as client:
        job = client.upload_job(frames, keys, params=fast_params())
        for frame in (5, 0, 8, 11, 2):
            rendered = client.render(job, frame)
            expected = read_image(tmp_path / "out" / f"o.{frame:04d}.exr").pixels
            assert rendered.image.dtype == np.float32 and rendered.image.shape == expected.shape
            assert np.array_equal(rendered.image, expected), f"frame {frame} differs from the CLI"
    # The CLI itself on the backend: the same files.
    remote = [*command[: command.index("--out")], "--out", str(tmp_path / "remote" / "o.####.exr")]
    remote += [*command[command.index("--out") + 2 :], "--backend", server.address]
    subprocess.run(remote, check=True, capture_output=True, text=True)
    for frame in range(12):
        local = read_image(tmp_path / "out" / f"o.{frame:04d}.exr").pixels
        served = read_image(tmp_path / "remote" / f"o.{frame:04d}.exr").pixels
        assert np.array_equal(local, served), f"frame {frame}: stylize --backend differs"


def test_random_access_caches_the_segment(server) -> None:
    shot = synthetic_shot(10)
    keys = {0: paint(shot[0]), 9: paint(shot[9], 2)}
    with BackendClient(server.address) as client:
        job = client.upload_job(shot, keys, params=fast_params())
        stages: list[str] = []
        first = client.render(job, 4, progress=lambda p: stages.append(p.stage))
        assert not first.from_cache and first.segment == (0, 9)
        assert "synthesis" in stages and stages[-1] == "output"
        later = [client.render(job, f) for f in (5, 6, 1, 8)]
        assert all(r.from_cache for r in later)
        again = client.render(job, 4)
        assert again.from_cache and again.content_hash == first.content_hash
        cache = client.info().cache
        assert (cache.misses, cache.hits) == (1, 5)
        assert 0 < cache.used_bytes <= cache.limit_bytes and cache.jobs == 1


@pytest.mark.parametrize("shared_memory", ["never", "always"])
def test_transports_give_the_same_frames(server, shared_memory: str) -> None:
    if shared_memory == "always" and not shared_memory_available():
        pytest.skip("no POSIX shared memory on this machine")
    shot = synthetic_shot(6, seed=3)
    keys = {0: paint(shot[0])}
    with BackendClient(server.address, shared_memory="never") as reference:
        job = reference.upload_job(shot, keys, params=fast_params())
        expected = {f: reference.render(job, f, want_error=True) for f in (3, 5)}
    with BackendClient(server.address, shared_memory=shared_memory) as client:
        assert client.uses_shared_memory() == (shared_memory == "always")
        job = client.upload_job(shot, keys, params=fast_params(), dtype=pb.DTYPE_FLOAT32)
        for frame, want in expected.items():
            got = client.render(job, frame, want_error=True)
            assert got.content_hash == want.content_hash
            assert np.array_equal(got.image, want.image) and np.array_equal(got.error, want.error)


def test_input_dtypes_and_row_order(server) -> None:
    """uint8 / bottom-up frames are converted; results come back as asked."""

    def eight_bit(pixels: np.ndarray) -> np.ndarray:  # what the backend decodes uint8 to
        return np.round(pixels * 255).astype(np.float32) / np.float32(255)

    shot = {f: eight_bit(p) for f, p in synthetic_shot(4, seed=5).items()}
    keys = {0: eight_bit(paint(shot[0]))}
    with BackendClient(server.address) as client:
        as_float = client.upload_job(shot, keys, params=fast_params())
        as_bytes = client.upload_job(shot, keys, params=fast_params(), dtype=pb.DTYPE_UINT8)
        bottom_up = client.upload_job(
            shot, keys, params=fast_params(), row_order=pb.ROW_ORDER_BOTTOM_UP
        )
        want = client.render(as_float, 3)
        assert np.array_equal(client.render(as_bytes, 3).image, want.image)
        assert np.array_equal(client.render(bottom_up, 3).image, want.image)
        half = client.render(as_float, 3, dtype=pb.DTYPE_FLOAT16)
        assert np.array_equal(half.image, want.image.astype(np.float16).astype(np.float32))


def test_image_synth(server) -> None:
    from synthfx.engine import synthesize

    shot = synthetic_shot(2, seed=7)
    style = paint(shot[0])
    engine = pb.EngineParams(patch_size=5, search_vote_iters=2, patchmatch_iters=2)
    expected = synthesize(
        style, [(shot[0], shot[1], 2.0)], patch_size=5, search_vote_iters=2, patchmatch_iters=2
    )
    with BackendClient(server.address) as client:
        image, nnf, error = client.image_synth(
            style, [(shot[0], shot[1], 2.0)], engine=engine, want_nnf=True, want_error=True
        )
    assert np.array_equal(image.pixels, expected.image)
    assert np.array_equal(nnf.pixels, expected.nnf.astype(np.float32))
    assert np.array_equal(error.pixels[..., 0], expected.error)
    assert image.image.content_hash == content_hash(expected.image.astype("<f4").tobytes())


def test_full_dev_shm_falls_back_to_streaming(server, monkeypatch) -> None:
    """No room in /dev/shm (a container's 64 MB): streamed instead, never a SIGBUS."""
    if not shared_memory_available():
        pytest.skip("no POSIX shared memory on this machine")
    shot = synthetic_shot(3, seed=9)
    keys = {0: paint(shot[0])}
    with BackendClient(server.address, shared_memory="never") as reference:
        job = reference.upload_job(shot, keys, params=fast_params())
        expected = reference.render(job, 2)

    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with (
        BackendClient(server.address) as client,
        BackendClient(server.address, shared_memory="always") as strict,
    ):
        assert client.uses_shared_memory() and strict.uses_shared_memory()
        monkeypatch.setattr(os, "posix_fallocate", full)
        darker = np.ascontiguousarray(shot[1] * 0.5)
        fresh = Payload.of(darker)
        assert client.upload([fresh]) == [fresh.image.content_hash]
        assert client.missing([fresh.image.content_hash]) == []
        assert client.render(job, 2).content_hash == expected.content_hash
        with pytest.raises(InputError, match=r"cannot reserve \d+ bytes in /dev/shm"):
            strict.upload([Payload.of(np.ascontiguousarray(shot[2] * 0.25))])


def test_a_job_with_other_parameters_reuses_the_flows(server) -> None:
    shot = synthetic_shot(6, seed=8)
    keys = {0: paint(shot[0])}
    flows = server.cache_dir / "flows"
    with BackendClient(server.address) as client:
        first = client.render(client.upload_job(shot, keys, params=fast_params()), 5)
        # A computed flow is written to a new file (a new inode); a reused one is only read.
        computed = {path.name: path.stat().st_ino for path in flows.iterdir()}
        assert len(computed) == 5  # one per frame pair of the pass 0 -> 5
        other = client.upload_job(shot, keys, params=fast_params(patch_size=7))
        second = client.render(other, 5)
        assert not second.from_cache and second.content_hash != first.content_hash
        assert {path.name: path.stat().st_ino for path in flows.iterdir()} == computed
        assert client.info().cache.jobs == 2
    segments = list((server.cache_dir / "segments").iterdir())
    assert len(segments) == 2 and not any((s / "flow").exists() for s in segments)
