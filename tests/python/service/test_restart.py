# SPDX-License-Identifier: Apache-2.0
"""kill -9 mid-render: a clear client error; after a restart the cache is intact and correct."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from service_testing import fast_params, float32_hash, paint, reference_render, synthetic_shot

from synthfx.client import BackendClient, BackendUnavailableError


def test_kill_mid_render_then_restart(server_factory, tmp_path) -> None:
    quick = synthetic_shot(8, seed=31)
    quick_keys = {0: paint(quick[0])}
    slow = synthetic_shot(24, seed=32, height=72, width=96)
    slow_keys = {0: paint(slow[0]), 23: paint(slow[23], 1)}
    slow_params = fast_params(search_vote_iters=4, patchmatch_iters=3, pyramid_levels=3)

    first = server_factory()
    with BackendClient(first.address) as client:
        quick_job = client.upload_job(quick, quick_keys, params=fast_params())
        before = {f: client.render(quick_job, f).content_hash for f in (3, 6)}
        slow_job = client.upload_job(slow, slow_keys, params=slow_params)
        synthesizing = threading.Event()

        def on_progress(progress) -> None:
            if progress.stage == "synthesis" and progress.done >= 3:
                synthesizing.set()

        def kill_when_synthesizing() -> None:
            assert synthesizing.wait(120), "the render never started synthesizing"
            first.kill()

        killer = threading.Thread(target=kill_when_synthesizing)
        killer.start()
        with pytest.raises(BackendUnavailableError) as failure:
            client.render(slow_job, 12, progress=on_progress)
        killer.join()
    message = str(failure.value)
    assert f"backend {first.address}: Render failed (UNAVAILABLE)" in message
    assert failure.value.retryable

    second = server_factory(cache_dir=first.cache_dir)
    with BackendClient(second.address) as client:
        quick_job = client.upload_job(quick, quick_keys, params=fast_params())
        for frame, content_hash in before.items():
            again = client.render(quick_job, frame)
            assert again.from_cache and again.content_hash == content_hash
        slow_job = client.upload_job(slow, slow_keys, params=slow_params)
        resumed = client.render(slow_job, 12)
        assert not resumed.from_cache
        cache = client.info().cache
        assert cache.jobs == 2 and (cache.hits, cache.misses) == (2, 1)
    expected = reference_render(slow, slow_keys, slow_params, [12])[12]
    assert np.array_equal(resumed.image, expected)
    assert resumed.content_hash == float32_hash(expected)


def test_cache_is_bounded_lru(server_factory) -> None:
    # One job's segment fits the limit, two do not (pass frames hold image, NNF and error).
    server = server_factory("--cache-limit-mb", "3")
    shot = synthetic_shot(10, seed=41)
    keys = {0: paint(shot[0]), 9: paint(shot[9], 1)}
    with BackendClient(server.address) as client:
        job_a = client.upload_job(shot, keys, params=fast_params(seed=1))
        job_b = client.upload_job(shot, keys, params=fast_params(seed=2))
        a = client.render(job_a, 4)
        one = client.info().cache
        assert one.evictions == 0 and 3 << 19 < one.used_bytes <= 3 << 20
        client.render(job_b, 4)
        two = client.info().cache
        assert two.evictions == 1 and two.jobs == 1 and two.used_bytes <= 3 << 20
        assert client.render(job_b, 5).from_cache  # the most recent segment stays
        again = client.render(job_a, 4)  # the least recently used one went
        assert not again.from_cache and again.content_hash == a.content_hash
