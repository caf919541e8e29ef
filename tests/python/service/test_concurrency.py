# SPDX-License-Identifier: Apache-2.0
"""Many clients at once: every frame arrives intact and in place; segments computed once."""

from __future__ import annotations

import random
import threading

import pytest
from service_testing import fast_params, float32_hash, paint, reference_render, synthetic_shot

from synthfx.client import BackendClient

CLIENTS = 16
FRAMES = 30
JOBS = 4
KEYS = (0, 15, 29)
# Segments per job: each key alone, plus [0, 15] and [15, 29].
SEGMENTS_PER_JOB = 5


@pytest.mark.parametrize(
    "store", [(), ("--frame-store-mb", "1")], ids=["in-memory", "spilling-to-disk"]
)
def test_concurrent_clients(server_factory, store: tuple[str, ...]) -> None:
    """With 1 MB of frame memory the shot (1.2 MB) keeps moving between memory and disk."""
    server = server_factory(*store)
    shot = synthetic_shot(FRAMES, seed=1)
    keys = {k: paint(shot[k], k) for k in KEYS}
    jobs = [fast_params(seed=100 + j) for j in range(JOBS)]
    expected = {
        j: {
            f: float32_hash(image)
            for f, image in reference_render(shot, keys, params, list(range(FRAMES))).items()
        }
        for j, params in enumerate(jobs)
    }
    assert len({h for hashes in expected.values() for h in hashes.values()}) > FRAMES
    failures: list[str] = []
    received: dict[int, dict[int, str]] = {}
    start = threading.Barrier(CLIENTS)

    def client_run(index: int) -> None:
        job_index = index % JOBS
        mode = "auto" if index % 2 else "never"  # auto: shared memory where the host has it
        order = list(range(FRAMES))
        random.Random(index).shuffle(order)
        try:
            with BackendClient(server.address, shared_memory=mode, label=f"c{index}") as client:
                job = client.upload_job(shot, keys, params=jobs[job_index])
                start.wait(timeout=60)
                got = {}
                for frame in order:
                    result = client.render(job, frame, request_id=f"f{frame}")
                    if result.frame != frame:
                        failures.append(f"client {index}: asked {frame}, got {result.frame}")
                    if float32_hash(result.image) != result.content_hash:
                        failures.append(f"client {index}: frame {frame} hash mismatch")
                    got[frame] = result.content_hash
                received[index] = got
        except Exception as exc:  # reported below, with every other client's outcome
            failures.append(f"client {index}: {exc!r}")

    threads = [threading.Thread(target=client_run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, "\n".join(failures)
    assert sorted(received) == list(range(CLIENTS))
    for index, got in received.items():
        assert got == expected[index % JOBS], f"client {index} got wrong or swapped frames"
    with BackendClient(server.address) as client:
        cache = client.info().cache
    assert cache.misses == JOBS * SEGMENTS_PER_JOB  # each segment computed exactly once
    assert cache.hits + cache.misses == CLIENTS * FRAMES
    assert cache.jobs == JOBS * SEGMENTS_PER_JOB
    assert 0 < cache.used_bytes <= cache.limit_bytes
    spilled = [path for path in (server.cache_dir / "frames").rglob("*") if path.is_file()]
    assert bool(spilled) == bool(store)
