# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from synthfx.flow.cache import (
    cache_path,
    cached_flow,
    flow_cache_key,
    flow_digest_key,
    prune_flow_cache,
)
from synthfx.flow.dis import DisFlow
from synthfx.io import digest as digest_module
from synthfx.io.digest import array_digest


class CountingEstimator:
    """Returns a flow derived from the frames and counts how often it is asked."""

    spec = "counting"
    fingerprint = "counting:v1"

    def __init__(self) -> None:
        self.calls = 0

    def compute(self, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        self.calls += 1
        flow = np.empty((*frame_a.shape[:2], 2), np.float32)
        flow[..., 0] = frame_a[..., 0] - frame_b[..., 0]
        flow[..., 1] = self.calls
        return flow


@pytest.fixture
def frames() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((12, 16, 3), dtype=np.float32), rng.random((12, 16, 3), dtype=np.float32)


def test_second_call_hits_cache(tmp_path: Path, frames: tuple[np.ndarray, np.ndarray]) -> None:
    estimator = CountingEstimator()
    first = cached_flow(estimator, *frames, tmp_path / "cache")
    second = cached_flow(estimator, *frames, tmp_path / "cache")
    assert estimator.calls == 1
    np.testing.assert_array_equal(first, second)
    assert second.dtype == np.float32 and second.shape == (12, 16, 2)
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".npy"]  # no temporaries


def test_different_content_different_key(tmp_path: Path, frames: tuple[np.ndarray, ...]) -> None:
    frame_a, frame_b = frames
    key = flow_cache_key("m", frame_a, frame_b)
    changed = frame_a.copy()
    changed[5, 7, 1] = np.nextafter(changed[5, 7, 1], np.float32(2))
    assert flow_cache_key("m", changed, frame_b) != key
    assert flow_cache_key("m", frame_b, frame_a) != key  # direction matters
    assert flow_cache_key("other", frame_a, frame_b) != key
    # Same bytes, other shape: a different image.
    assert flow_cache_key("m", frame_a.reshape(16, 12, 3), frame_b.reshape(16, 12, 3)) != key
    assert flow_cache_key("m", frame_a.copy(), frame_b.copy()) == key

    estimator = CountingEstimator()
    cached_flow(estimator, frame_a, frame_b, tmp_path)
    cached_flow(estimator, changed, frame_b, tmp_path)
    assert estimator.calls == 2


def test_damaged_entry_recomputed(tmp_path: Path, frames: tuple[np.ndarray, np.ndarray]) -> None:
    estimator = CountingEstimator()
    path = cache_path(tmp_path, flow_cache_key(estimator.fingerprint, *frames))
    path.write_bytes(b"truncated")
    flow = cached_flow(estimator, *frames, tmp_path)
    assert estimator.calls == 1
    np.testing.assert_array_equal(np.load(path), flow)


def test_with_dis(tmp_path: Path, small_photo: np.ndarray) -> None:
    moved = np.roll(small_photo, 2, axis=1)
    flow = cached_flow(DisFlow("dis-ultrafast"), small_photo, moved, tmp_path)
    again = cached_flow(DisFlow("dis-ultrafast"), small_photo, moved, tmp_path)
    np.testing.assert_array_equal(flow, again)
    cached_flow(DisFlow("dis-fast"), small_photo, moved, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_prune_keeps_the_most_recently_used(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    pairs = [(rng.random((8, 8, 3), dtype=np.float32),) * 2 for _ in range(4)]
    estimator = CountingEstimator()
    for age, (a, b) in enumerate(pairs):  # entries written 400, 300, 200, 100 s ago
        cached_flow(estimator, a, b, tmp_path)
        stamp = 1_000_000 - 100 * (len(pairs) - age)
        os.utime(cache_path(tmp_path, flow_cache_key(estimator.fingerprint, a, b)), (stamp, stamp))
    cached_flow(estimator, *pairs[0], tmp_path)  # the oldest is used again: now the most recent
    size = cache_path(tmp_path, flow_cache_key(estimator.fingerprint, *pairs[0])).stat().st_size
    assert prune_flow_cache(tmp_path, 2 * size) == 2 * size
    kept = [cache_path(tmp_path, flow_cache_key(estimator.fingerprint, a, b)).exists()
            for a, b in pairs]  # fmt: skip
    assert kept == [True, False, False, True]
    assert prune_flow_cache(tmp_path / "missing", 0) == 0


def test_given_digests_key_the_entry_without_hashing(
    tmp_path: Path, frames: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    estimator = CountingEstimator()
    hashed: list[np.ndarray] = []
    real = digest_module.hash_array_into
    monkeypatch.setattr(
        digest_module, "hash_array_into", lambda d, a: (hashed.append(a), real(d, a))
    )
    digests = (array_digest(frames[0]), array_digest(frames[1]))
    hashed.clear()
    first = cached_flow(estimator, *frames, tmp_path, digests=digests)
    assert hashed == []
    # The same entry as the frames' own key: callers with and without digests share it.
    assert cache_path(tmp_path, flow_cache_key(estimator.fingerprint, *frames)).is_file()
    np.testing.assert_array_equal(cached_flow(estimator, *frames, tmp_path), first)
    assert estimator.calls == 1
    assert flow_digest_key("m", *digests) != flow_digest_key("m", digests[1], digests[0])
