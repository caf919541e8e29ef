# SPDX-License-Identifier: Apache-2.0
"""Shared memory of crashed clients and servers is removed (at start, when sessions open); live
segments are kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from synthfx.client import BackendClient
from synthfx.service.servicer import SWEEP_INTERVAL_S
from synthfx.transport.shm import (
    SHM_DIR,
    Segment,
    remove_orphaned_segments,
    shared_memory_available,
)

pytestmark = pytest.mark.skipif(not shared_memory_available(), reason="no /dev/shm")


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
            time.sleep(SWEEP_INTERVAL_S + 0.1)
            client.open_session()
            assert not (SHM_DIR / name).exists()
    finally:
        child.kill()
        (SHM_DIR / name).unlink(missing_ok=True)
