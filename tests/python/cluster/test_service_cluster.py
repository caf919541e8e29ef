# SPDX-License-Identifier: Apache-2.0
"""``synthfx serve --cluster``: a Render's segment computed by Ray tasks equals the local run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from service_testing import ServerProcess, start_server

from cluster_testing import FIRST, KEYS, LAST
from synthfx.client import BackendClient, DeadlineExceededError
from synthfx.io import read_image
from synthfx.v1 import synthfx_pb2 as pb

TWO_WORKERS = ("--cluster", "ray:auto", "--workers", "2", "--task-cpus", "1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server (one Ray start) for the module; each test uploads its own job."""
    directory = tmp_path_factory.mktemp("service-cluster")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "RAY_USAGE_STATS_ENABLED", "0")
        started = start_server(directory, directory / "cache", *TWO_WORKERS)
    yield started
    started.stop()


def _shot(shot: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    frames = {f: read_image(shot / f"f.{f:04d}.exr").pixels for f in range(FIRST, LAST + 1)}
    keys = {k: read_image(shot / f"k.{k:04d}.exr").pixels for k in KEYS}
    return frames, keys


def _events(log: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == name]


def _log_since(server: ServerProcess, start: int) -> str:
    return server.log()[start:]


def test_segments_on_two_workers_equal_the_local_run(
    shot: Path, server: ServerProcess, local_render
) -> None:
    start = len(server.log())
    frames, keys = _shot(shot)
    with BackendClient(server.address) as client:
        job = client.upload_job(frames, keys)
        # 1003 needs segment 1001-1005 (two passes), 1010 the last one (one pass).
        for frame in (1003, 1010, 1001, 1005, 1007):
            rendered = client.render(job, frame)
            assert np.array_equal(rendered.image, local_render[frame]), f"frame {frame}"
        assert client.render(job, 1004).from_cache
    log = _log_since(server, start)
    (serving,) = _events(server.log(), "serving")
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
    shot: Path, server: ServerProcess
) -> None:
    # Several seconds a pass even on an idle machine, so the deadline passes while the tasks
    # run; other engine settings than the first test's, so none of its segments apply.
    slow = pb.StylizeParams(
        engine=pb.EngineParams(patch_size=9, search_vote_iters=60, patchmatch_iters=16)
    )
    start = len(server.log())
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
    log = _log_since(server, start)
    (computed,) = _events(log, "segment on cluster")
    assert computed["segment"] == "1001-1005" and computed["passes"] == 2
