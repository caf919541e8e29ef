# SPDX-License-Identifier: Apache-2.0
"""Upload slots: server-lent shared memory that becomes the stored frame; orphan removal."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from synthfx.client import BackendClient, Payload
from synthfx.errors import InputError
from synthfx.service.servicer import _SWEEP_INTERVAL_S
from synthfx.service.status import StatusError
from synthfx.service.upload_slots import UploadSlots
from synthfx.transport.shm import (
    SERVER_PREFIX,
    SHM_DIR,
    MappedSegments,
    Segment,
    remove_orphaned_segments,
    shared_memory_available,
)

pytestmark = pytest.mark.skipif(not shared_memory_available(), reason="no /dev/shm")
SESSION, OTHER = "a" * 32, "b" * 32


@pytest.fixture
def slots():
    lender = UploadSlots(lend_limit_bytes=1 << 20, pool_limit_bytes=1 << 20)
    yield lender
    lender.close()


def _write(handle, data: bytes) -> None:
    with Segment.open(handle.name, handle.offset, len(data), "test") as segment:
        segment.buffer[:] = data


def test_an_adopted_slot_is_the_stored_payload_and_returns_to_the_pool(slots) -> None:
    (handle,) = slots.reserve(SESSION, [4096], new_ok=True)
    assert handle.offset == 0 and handle.size == 4096 and slots.owns(handle.name)
    data = os.urandom(4096)
    _write(handle, data)
    payload = slots.adopt(SESSION, handle, 4096, "frame 0")
    assert bytes(payload) == data
    assert slots.handle_of(payload).name == handle.name
    assert slots.usage() == (0, 0)  # neither lent nor pooled while the payload lives
    assert slots.reserve(SESSION, [4096], new_ok=False) == []  # nothing pooled: no new one
    view = payload[100:200]
    del payload
    gc.collect()
    assert slots.usage() == (0, 0)  # a view of it still reads the segment
    del view
    gc.collect()
    assert slots.usage() == (0, 4096)
    (again,) = slots.reserve(SESSION, [4096], new_ok=False)
    assert again.name == handle.name  # recycled, not a new segment


def test_a_slot_is_adopted_once_by_the_session_it_was_lent_to(slots) -> None:
    (handle,) = slots.reserve(SESSION, [1024], new_ok=True)
    with pytest.raises(InputError, match="not lent to this session"):
        slots.adopt(OTHER, handle, 1024, "frame 0")
    with pytest.raises(InputError, match="holds 1024 bytes at offset 0; the frame has 1000"):
        slots.adopt(SESSION, handle, 1000, "frame 0")
    payload = slots.adopt(SESSION, handle, 1024, "frame 0")
    with pytest.raises(InputError, match="already used"):
        slots.adopt(SESSION, handle, 1024, "frame 1")
    assert payload is not None


def test_lending_is_bounded_and_unused_slots_come_back_with_the_session(slots) -> None:
    handles = slots.reserve(SESSION, [400_000, 400_000], new_ok=True)
    assert slots.usage() == (800_000, 0)
    with pytest.raises(StatusError, match="800000 bytes are lent and 400000 more"):
        slots.reserve(OTHER, [400_000], new_ok=True)
    with pytest.raises(InputError, match="positive"):
        slots.reserve(OTHER, [0], new_ok=True)
    slots.release(SESSION)
    assert slots.usage() == (0, 800_000)
    assert {h.name for h in slots.reserve(OTHER, [400_000], new_ok=False)} < {
        h.name for h in handles
    }


def test_close_removes_the_segments_and_pooled_ones_beyond_the_limit_go(slots) -> None:
    small = UploadSlots(lend_limit_bytes=1 << 20, pool_limit_bytes=5000)
    handles = small.reserve(SESSION, [4096, 4096], new_ok=True)
    small.release(SESSION)  # 8192 bytes back, 5000 kept: the older one is removed
    assert small.usage() == (0, 4096)
    assert [(SHM_DIR / h.name).exists() for h in handles] == [False, True]
    small.close()
    assert not (SHM_DIR / handles[1].name).exists()


def test_orphaned_segments_are_removed_and_held_ones_kept() -> None:
    old = time.time() - 3600
    held = Segment.create(4096, prefix="synthfx-t2")  # a live creator holds its lock
    orphan = SHM_DIR / f"synthfx-t2-{os.getpid()}-0dead"  # a crashed creator's
    young = SHM_DIR / f"synthfx-t2-{os.getpid()}-0fee"  # created, not locked yet
    unmarked = SHM_DIR / f"synthfx-{os.getpid()}-0abc"  # older synthfx: it never locked
    paths = (orphan, young, unmarked, SHM_DIR / held.name)
    try:
        for path in (orphan, young, unmarked):
            path.write_bytes(b"x")
        for path in (orphan, unmarked, SHM_DIR / held.name):
            os.utime(path, (old, old))
        removed = remove_orphaned_segments()
        assert orphan.name in removed and not orphan.exists()
        assert all(path.exists() for path in paths[1:])
        held.close()  # closed by its creator without removing it: an orphan too
        assert held.name in remove_orphaned_segments()
    finally:
        for path in paths:
            path.unlink(missing_ok=True)


def test_a_killed_clients_segments_are_removed_when_a_session_opens(server_factory) -> None:
    server = server_factory()
    script = (
        "import os, sys; from synthfx.transport.shm import Segment; "
        "s = Segment.create(1 << 20, prefix='synthfx-t2'); print(s.name, flush=True); "
        "os.utime('/dev/shm/' + s.name, (0, 0)); sys.stdin.read()"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    name = child.stdout.readline().strip()
    try:
        with BackendClient(server.address) as client:
            client.open_session()  # the child is alive: its segment stays
            assert (SHM_DIR / name).exists()
            child.kill()
            child.wait()
            time.sleep(_SWEEP_INTERVAL_S + 0.1)
            client.open_session()
            assert not (SHM_DIR / name).exists()
    finally:
        child.kill()
        (SHM_DIR / name).unlink(missing_ok=True)


def _server_slots(server) -> list[str]:
    prefix = f"{SERVER_PREFIX}-{server.process.pid}-"
    return sorted(path.name for path in SHM_DIR.iterdir() if path.name.startswith(prefix))


def test_a_full_store_recycles_slots_and_every_frame_comes_back_intact(server_factory) -> None:
    # 1 MiB frames, 4 MiB of frame memory: from the 5th upload on, every frame replaces one.
    server = server_factory("--frame-store-mb", "4", "--frame-disk-mb", "0")
    rng = np.random.default_rng(3)
    frames = [rng.random((256, 256, 4), dtype=np.float32) for _ in range(16)]
    received = np.empty((256, 256, 4), np.float32)
    with BackendClient(server.address, shared_memory="always") as client:  # verifies hashes
        for frame in frames:
            client.open_session()
            payload = Payload.of(frame)
            client.upload([payload], force=True)
            client.download(payload.image.content_hash, into=received)
            np.testing.assert_array_equal(received, frame)
            client.close_session()
        names = _server_slots(server)
        # Slots appear once the store is full and then circulate: a handful, not one per frame.
        assert 1 <= len(names) <= 6, names
        load = client.info().load
        assert load.frame_store_used_bytes <= 4 << 20 and load.upload_slots_lent_bytes == 0
        # Every slot is either holding a stored frame or pooled for the next one.
        pooled = load.upload_slots_pooled_bytes
        assert pooled % frames[0].nbytes == 0
        assert load.frame_store_used_bytes + pooled >= len(names) * frames[0].nbytes
    server.stop()
    assert _server_slots(server) == []  # a stopping server removes its segments


def test_client_mappings_are_reused_and_renewed_when_the_segment_changes() -> None:
    mapped = MappedSegments(limit_bytes=1 << 20)
    segment = Segment.create(4096, prefix="synthfx-test")
    try:
        first = mapped.view(segment.name, 0, 4096, "slot")
        address = np.frombuffer(first, np.uint8).ctypes.data
        first[:4] = b"abcd"
        del first
        again = mapped.view(segment.name, 0, 4, "slot")
        assert np.frombuffer(again, np.uint8).ctypes.data == address  # the same mapping
        assert bytes(again) == b"abcd"
        del again
        with pytest.raises(InputError, match="has 4096 bytes"):
            mapped.view(segment.name, 4000, 200, "slot")
        segment.unlink()  # removed: the cached mapping must not be used
        with pytest.raises(InputError, match="cannot open shared memory"):
            mapped.view(segment.name, 0, 4, "slot")
    finally:
        mapped.close()
        segment.close()
        segment.unlink()
