# SPDX-License-Identifier: Apache-2.0
"""Keyframes the server reads by path (``serve --read-root``), and forced re-renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import pytest
from service_testing import fast_params, paint, reference_render, synthetic_shot

from synthfx.client import BackendClient, ServiceError
from synthfx.io import read_image, write_image
from synthfx.v1 import synthfx_pb2 as pb

KEYS = (0, 8)


@pytest.fixture
def shot() -> dict[int, np.ndarray]:
    return synthetic_shot(10)


@pytest.fixture
def root(tmp_path: Path, shot) -> Path:
    """A read root holding painted keyframes as float EXRs (k.0000.exr, k.0008.exr)."""
    directory = tmp_path / "root"
    for i, key in enumerate(KEYS):
        write_image(directory / "keys" / f"k.{key:04d}.exr", paint(shot[key], i), dtype="float")
    return directory


def _path_job(client: BackendClient, shot, pattern: str, keys=KEYS) -> pb.Job:
    """Frames uploaded, keyframes named by ``pattern`` (read by the server)."""
    job = client.upload_job(shot, {}, params=fast_params())
    job.keyframes.extend(pb.FrameImage(frame=k, path=pattern) for k in keys)
    return job


def _read_keys(root: Path) -> dict[int, np.ndarray]:
    return {k: read_image(root / "keys" / f"k.{k:04d}.exr").pixels for k in KEYS}


def _status(call) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def test_smoke_path_keys_equal_uploaded_keys(server_factory, root: Path, shot) -> None:
    server = server_factory("--read-root", str(root))
    with BackendClient(server.address) as client:
        job = _path_job(client, shot, str(root / "keys" / "k.####.exr"))
        by_path = {f: client.render(job, f) for f in (4, 9)}
        printf = _path_job(client, shot, str(root / "keys" / "k.%04d.exr"))
        assert client.render(printf, 4).content_hash == by_path[4].content_hash
        uploaded = client.upload_job(shot, _read_keys(root), params=fast_params())
        by_upload = {f: client.render(uploaded, f) for f in (4, 9)}
    expected = reference_render(shot, _read_keys(root), fast_params(), [4, 9])
    assert not by_path[4].from_cache and not by_path[9].from_cache
    for f in (4, 9):
        assert np.array_equal(by_path[f].image, by_upload[f].image), f"frame {f}"
        assert np.array_equal(by_path[f].image, expected[f]), f"frame {f}"
        # Addressed by pixel content: the uploaded job is the same cached segment.
        assert by_upload[f].from_cache


def test_still_file_and_edit_invalidates(server_factory, root: Path, shot) -> None:
    server = server_factory("--read-root", str(root))
    still = root / "keys" / "k.0000.exr"
    with BackendClient(server.address) as client:
        job = _path_job(client, shot, str(still), keys=(0,))
        first = client.render(job, 3)
        assert not first.from_cache
        assert client.render(job, 3).from_cache
        write_image(still, paint(shot[0], 2), dtype="float")
        edited = client.render(job, 3)
    assert not edited.from_cache, "an edited keyframe file must not hit the old cache"
    assert not np.array_equal(edited.image, first.image)


def test_exception_paths_outside_root(server_factory, root: Path, shot, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_image(outside / "k.0000.exr", paint(shot[0]), dtype="float")
    (root / "keys" / "escape.0000.exr").symlink_to(outside / "k.0000.exr")
    (root / "linkdir").symlink_to(outside)
    server = server_factory("--read-root", str(root))
    denied = [
        f"{root}/../outside/k.####.exr",
        str(outside / "k.####.exr"),
        str(root / "keys" / "escape.####.exr"),
        str(root / "linkdir" / "k.####.exr"),
        "/etc/passwd",
    ]
    with BackendClient(server.address) as client:
        for path in denied:
            job = _path_job(client, shot, path, keys=(0,))
            error = _status(lambda job=job: client.render(job, 2))
            assert error.code == grpc.StatusCode.PERMISSION_DENIED, (path, error)
            assert "outside" in str(error) and "read roots" in str(error)
        job = _path_job(client, shot, str(root / "keys" / "missing.####.exr"), keys=(0,))
        error = _status(lambda: client.render(job, 2))
        assert error.code == grpc.StatusCode.NOT_FOUND and "missing.0000.exr" in str(error)
        for path in ("keys/k.####.exr", str(root / "keys" / "k.##.#.exr"), "/tmp/a\0b"):
            job = _path_job(client, shot, path, keys=(0,))
            error = _status(lambda job=job: client.render(job, 2))
            assert error.code == grpc.StatusCode.INVALID_ARGUMENT, (path, error)
        job = _path_job(client, shot, str(root / "keys" / "k.####.exr"), keys=(0,))
        job.keyframes[0].image.content_hash = "0" * 64
        error = _status(lambda: client.render(job, 2))
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT and "not both" in str(error)
        # The server keeps serving: a good path renders.
        job = _path_job(client, shot, str(root / "keys" / "k.####.exr"), keys=(0,))
        assert client.render(job, 2).image.shape == (*shot[0].shape[:2], 4)


def test_exception_no_read_root(server, root: Path, shot) -> None:
    with BackendClient(server.address) as client:
        job = _path_job(client, shot, str(root / "keys" / "k.####.exr"))
        error = _status(lambda: client.render(job, 2))
        assert error.code == grpc.StatusCode.PERMISSION_DENIED
        assert "--read-root" in str(error)
        assert client.info().backend_version


def test_exception_bad_read_root(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "synthfx.cli", "serve", "--listen", "127.0.0.1:0",
               "--cache-dir", str(tmp_path / "cache"),
               "--read-root", str(tmp_path / "nope")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--read-root" in done.stderr and "not a directory" in done.stderr


def test_refresh_recomputes_same_pixels(server, shot) -> None:
    keys = {k: paint(shot[k], i) for i, k in enumerate(KEYS)}
    with BackendClient(server.address) as client:
        job = client.upload_job(shot, keys, params=fast_params())
        first = client.render(job, 5)
        cached = client.render(job, 5)
        refreshed = client.render(job, 5, refresh=True)
        after = client.render(job, 6)
        stats = client.info().cache
    assert not first.from_cache and cached.from_cache
    assert not refreshed.from_cache and refreshed.segment == first.segment
    assert after.from_cache, "the refreshed segment is cached again"
    assert np.array_equal(refreshed.image, first.image)
    assert refreshed.content_hash == cached.content_hash
    assert stats.misses == 2 and stats.hits == 2
    assert os.listdir(server.cache_dir / "segments")
