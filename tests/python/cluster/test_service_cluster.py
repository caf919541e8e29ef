# SPDX-License-Identifier: Apache-2.0
"""``synthfx serve --cluster``: a Render's segment computed by Ray tasks equals the local run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from service_testing import start_server

from cluster_testing import FIRST, KEYS, LAST
from synthfx.client import BackendClient, DeadlineExceededError
from synthfx.io import read_image
from synthfx.v1 import synthfx_pb2 as pb

TWO_WORKERS = ("--cluster", "ray:auto", "--workers", "2", "--task-cpus", "1")


@pytest.fixture
def ray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "RAY_USAGE_STATS_ENABLED", "0")


def _shot(shot: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    frames = {f: read_image(shot / f"f.{f:04d}.exr").pixels for f in range(FIRST, LAST + 1)}
    keys = {k: read_image(shot / f"k.{k:04d}.exr").pixels for k in KEYS}
    return frames, keys


def _events(log: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == name]


def test_segments_on_two_workers_equal_the_local_run(
    shot: Path, tmp_path: Path, local_render, ray_env
) -> None:
    server = start_server(tmp_path, tmp_path / "cache", *TWO_WORKERS)
    try:
        frames, keys = _shot(shot)
        with BackendClient(server.address) as client:
            job = client.upload_job(frames, keys)
            # 1003 needs segment 1001-1005 (two passes), 1010 the last one (one pass).
            for frame in (1003, 1010, 1001, 1005, 1007):
                rendered = client.render(job, frame)
                assert np.array_equal(rendered.image, local_render[frame]), f"frame {frame}"
            assert client.render(job, 1004).from_cache
        log = server.log()
    finally:
        server.stop()
    (serving,) = _events(log, "serving")
    assert serving["cluster"] == "ray:auto"
    on_cluster = {e["segment"]: e for e in _events(log, "segment on cluster")}
    # Each segment computed once, by its tasks (a key frame is a segment of no pass).
    passes = {segment: e["passes"] for segment, e in on_cluster.items()}
    assert passes == {
        "1001-1005": 2,
        "1009-1010": 1,
        "1001-1001": 0,
        "1005-1005": 0,
        "1005-1009": 2,
    }
    assert all(on_cluster[s]["task_seconds"] > 0 for s in ("1001-1005", "1009-1010", "1005-1009"))
    assert not _events(log, "cluster rerun")


def test_a_deadline_stops_the_segment_and_the_next_render_computes_it(
    shot: Path, tmp_path: Path, ray_env
) -> None:
    # Several seconds a pass on 2 cores, so the deadline passes while the tasks run.
    slow = pb.StylizeParams(
        engine=pb.EngineParams(patch_size=7, search_vote_iters=30, patchmatch_iters=8)
    )
    server = start_server(tmp_path, tmp_path / "cache", *TWO_WORKERS)
    try:
        frames, keys = _shot(shot)
        with BackendClient(server.address) as client:
            job = client.upload_job(frames, keys, params=slow)
            with pytest.raises(DeadlineExceededError):
                client.render(job, 1003, timeout=1.0)
            started = time.monotonic()
            while client.info().load.active_calls > 0:
                time.sleep(0.02)
            stopped = time.monotonic() - started
            started = time.monotonic()
            again = client.render(job, 1003)
            full = time.monotonic() - started
            assert not again.from_cache and again.image.shape == (*frames[1003].shape[:2], 4)
            assert full > 2.0, f"the segment took only {full:.2f} s: too quick to cancel"
            assert stopped < 0.3 * full, f"the call ran {stopped:.2f} s past its deadline"
        log = server.log()
    finally:
        server.stop()
    (computed,) = _events(log, "segment on cluster")
    assert computed["segment"] == "1001-1005" and computed["passes"] == 2
