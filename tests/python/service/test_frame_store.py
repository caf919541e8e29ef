# SPDX-License-Identifier: Apache-2.0
"""The frame store: memory first, least recently used frames spilled to disk, pins kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthfx.service.frame_store import FrameStore
from synthfx.service.status import StatusError
from synthfx.transport.wire import content_hash
from synthfx.v1 import synthfx_pb2 as pb

DESC = pb.ImageDesc(width=16, height=16, channels=4, dtype=pb.DTYPE_FLOAT32)
SIZE = 16 * 16 * 4 * 4


def frames(count: int, seed: int = 0) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(seed)
    payloads = [rng.random(SIZE // 4, dtype=np.float32).tobytes() for _ in range(count)]
    return [(content_hash(p), p) for p in payloads]


def test_frames_beyond_memory_spill_and_come_back_identical(tmp_path: Path) -> None:
    store = FrameStore(3 * SIZE, tmp_path / "frames", 100 * SIZE)
    shot = frames(10)
    for digest, payload in shot:
        store.put(digest, payload, DESC, "s1")
    count, in_memory = store.usage()
    assert count == 10 and in_memory <= 3 * SIZE
    assert store.disk_usage() == 7 * SIZE  # the seven least recent
    assert store.missing([d for d, _ in shot]) == []
    for digest, payload in shot:
        assert bytes(store.get(digest, "s1")) == payload
        assert store.describe(digest) == DESC and store.payload_bytes(digest) == SIZE
    assert store.usage()[1] <= 3 * SIZE


def test_pinned_frames_are_never_dropped_and_unpinned_go_first(tmp_path: Path) -> None:
    store = FrameStore(2 * SIZE, tmp_path / "frames", 3 * SIZE)
    pinned = frames(4, seed=1)
    for digest, payload in pinned:
        store.put(digest, payload, DESC, "open")
    store.release("open")
    loose = frames(3, seed=2)
    for digest, payload in loose:
        store.put(digest, payload, DESC, "other")
    # 2 in memory + 3 on disk: the least recent unpinned ones were dropped to make room.
    assert len(store.missing([d for d, _ in pinned])) == 2
    assert store.missing([d for d, _ in loose]) == []
    for digest, payload in loose:
        assert bytes(store.get(digest)) == payload
    # Memory and disk full of pinned frames: a clear error naming both budgets.
    with pytest.raises(StatusError, match=r"frame store full.*spill directory"):
        for digest, payload in frames(6, seed=3):
            store.put(digest, payload, DESC, "other")


def test_without_spill_directory_pinned_frames_fill_memory() -> None:
    store = FrameStore(2 * SIZE)
    shot = frames(3, seed=4)
    store.put(*shot[0], DESC, "s")
    store.put(*shot[1], DESC, "s")
    with pytest.raises(StatusError, match="frame store full") as failure:
        store.put(*shot[2], DESC, "s")
    assert "spill directory" not in str(failure.value)
    store.release("s")
    store.put(*shot[2], DESC, "s")  # the least recent unpinned frame makes way
    assert store.missing([d for d, _ in shot]) == [shot[0][0]]


def test_spilled_frames_survive_a_restart_and_damage_is_detected(tmp_path: Path) -> None:
    spill = tmp_path / "frames"
    store = FrameStore(1 * SIZE, spill, 100 * SIZE)
    shot = frames(4, seed=5)
    for digest, payload in shot:
        store.put(digest, payload, DESC, "s")
    spilled = [d for d, _ in shot[:3]]
    (spill / "ab").mkdir(exist_ok=True)
    (spill / "ab" / ".abc.tmp-1234").write_bytes(b"cut short")  # a crashed write
    truncated = spill / spilled[2][:2] / spilled[2]
    truncated.write_bytes(truncated.read_bytes()[:100])
    damaged = spill / spilled[1][:2] / spilled[1]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))

    again = FrameStore(1 * SIZE, spill, 100 * SIZE)
    assert not (spill / "ab" / ".abc.tmp-1234").exists() and not truncated.exists()
    # The last frame was only in memory; the truncated one is gone; the damaged one is found
    # at start (its header is fine) but fails its hash check when read.
    assert again.missing([d for d, _ in shot]) == [spilled[2], shot[3][0]]
    assert bytes(again.get(spilled[0], "s")) == shot[0][1]
    assert again.get(spilled[1], "s") is None
    assert again.missing([spilled[1]]) == [spilled[1]] and not damaged.exists()


def test_a_shot_larger_than_memory_renders_and_survives_a_restart(server_factory) -> None:
    from service_testing import fast_params, paint, reference_render, synthetic_shot

    from synthfx.client import BackendClient

    shot = synthetic_shot(12, seed=41, height=96, width=128)  # 147 KB a frame, 1.8 MB in all
    keys = {0: paint(shot[0])}
    params = fast_params()
    expected = reference_render(shot, keys, params, [11])[11]
    server = server_factory("--frame-store-mb", "1")
    with BackendClient(server.address) as client:
        job = client.upload_job(shot, keys, params=params)
        assert client.info().load.frame_store_used_bytes <= 1 << 20
        np.testing.assert_array_equal(client.render(job, 11).image, expected)
    server.kill()
    again = server_factory("--frame-store-mb", "1", cache_dir=server.cache_dir)
    with BackendClient(again.address) as client:
        hashes = [f.image.content_hash for f in job.frames]
        assert len(client.missing(hashes)) < len(hashes) // 2  # the spilled ones are still there


def test_spilled_frames_are_served_even_when_memory_is_full_of_pinned_ones(tmp_path: Path) -> None:
    store = FrameStore(2 * SIZE, tmp_path / "frames", 1 * SIZE)
    first, second, third = frames(3, seed=6)
    store.put(*first, DESC, "s")
    store.put(*second, DESC, "s")
    store.put(*third, DESC, "s")  # the first goes to disk (room for one frame there)
    assert store.disk_usage() == SIZE and store.usage()[1] == 2 * SIZE
    # Bringing it back would need the memory of a pinned frame, and the disk has no room for
    # that one: the frame is served from disk without moving.
    assert bytes(store.get(first[0], "s")) == first[1]
    assert store.disk_usage() == SIZE and store.usage()[1] == 2 * SIZE
