# SPDX-License-Identifier: Apache-2.0
"""Shared memory the server lends same-host clients to upload into (since protocol 1.3).

A client reserves a slot, writes its frame there and names the slot in UploadFrames; the
server then keeps the slot's pages as the stored frame instead of copying them. When that
frame leaves memory and nothing reads it any more, the segment goes back to a pool and is lent
again with its pages already in place: a new 130 MB buffer costs more in page faults than the
copy that fills it, so a steady stream of uploads only runs at memory speed on recycled pages.

Slots are segments ``synthfx-s2-PID-TOKEN`` in /dev/shm (mode 0600); a server removes its
own when it stops, and those of servers that died without stopping are orphans that
``synthfx.transport.shm.remove_orphaned_segments`` removes.
"""

from __future__ import annotations

import os
import threading
import weakref

import numpy as np

from synthfx.errors import InputError
from synthfx.service.buffer_pool import SizedPool
from synthfx.service.status import StatusError
from synthfx.transport.shm import SERVER_PREFIX, SHM_DIR, Segment
from synthfx.v1 import synthfx_pb2 as pb


class UploadSlots:
    """Lends segments to sessions and takes them back as stored frames.

    Args:
        lend_limit_bytes: most bytes lent and not yet uploaded, over all sessions.
        pool_limit_bytes: most bytes of returned segments kept for lending again.
    """

    def __init__(self, lend_limit_bytes: int, pool_limit_bytes: int) -> None:
        self.lend_limit_bytes = lend_limit_bytes
        self._own_prefix = f"{SERVER_PREFIX}-{os.getpid()}-"
        self._lent: dict[str, tuple[str, Segment]] = {}
        self._lent_bytes = 0
        self._pool: SizedPool[Segment] = SizedPool(
            pool_limit_bytes, lambda segment: segment.size, _discard
        )
        # id(payload array) -> (weak reference to it, its segment), for handle_of.
        self._adopted: dict[int, tuple[weakref.ref, Segment]] = {}
        self._closed = False
        # Reentrant: a stored frame's last reference may drop (and return its segment) in any
        # thread, also one that holds this lock.
        self._lock = threading.RLock()

    def reserve(
        self, session_id: str, sizes: list[int], *, new_ok: bool
    ) -> list[pb.SharedMemoryHandle]:
        """One slot per size, lent to ``session_id``; none at all when ``new_ok`` is False and
        the pool lacks one of them.

        New segments fault their pages in 4 KiB at a time, slower than the copy they would
        save into a fresh (huge-page) buffer; they only pay off when they will be recycled,
        i.e. when the frame store is full and every new frame replaces an old one.

        Raises:
            StatusError: RESOURCE_EXHAUSTED when they would pass the lending limit or
                /dev/shm has no room (nothing is lent then).
        """
        if any(size <= 0 for size in sizes):
            raise InputError(f"upload slot sizes must be positive, got {sizes!r:.80}")
        taken: list[Segment] = []
        with self._lock:
            if self._lent_bytes + sum(sizes) > self.lend_limit_bytes:
                raise StatusError.resource_exhausted(
                    f"upload slots: {self._lent_bytes} bytes are lent and {sum(sizes)} more "
                    f"were asked for, the limit is {self.lend_limit_bytes}"
                )
            if not new_ok and not self._pool.holds(sizes):
                return []
            try:
                for size in sizes:
                    taken.append(self._take(size))
            except OSError as exc:
                for segment in taken:
                    self._give_back(segment)
                raise StatusError.resource_exhausted(
                    f"upload slots: no room in {SHM_DIR} for {sum(sizes)} bytes ({exc.strerror})"
                ) from None
            for segment in taken:
                self._lent[segment.name] = (session_id, segment)
                self._lent_bytes += segment.size
        return [pb.SharedMemoryHandle(name=s.name, offset=0, size=s.size) for s in taken]

    def owns(self, name: str) -> bool:
        """Whether ``name`` is one of this server's slots (lent or not)."""
        return name.startswith(self._own_prefix)

    def adopt(self, session_id: str, handle: pb.SharedMemoryHandle, size: int, what: str):
        """The lent slot ``handle`` names as a frame payload of ``size`` bytes; it is no longer
        lent, and its segment returns to the pool once the payload is unreferenced.

        Raises:
            InputError: the slot is not lent to this session (or already used), or the handle
                does not cover exactly the payload.
        """
        with self._lock:
            lent = self._lent.get(handle.name)
            if lent is None or lent[0] != session_id:
                raise InputError(
                    f"{what}: upload slot {handle.name!r} is not lent to this session "
                    "(already used, returned, or never reserved)"
                )
            segment = lent[1]
            if handle.offset != 0 or size != segment.size:
                raise InputError(
                    f"{what}: upload slot {handle.name!r} holds {segment.size} bytes at offset "
                    f"0; the frame has {size} bytes at offset {handle.offset}"
                )
            del self._lent[handle.name]
            self._lent_bytes -= segment.size
        pixels = np.frombuffer(segment.buffer, np.uint8)
        key = id(pixels)
        with self._lock:
            self._adopted[key] = (weakref.ref(pixels), segment)
        # Every view of the payload keeps `pixels` alive, so the segment is only reused once
        # no reader is left.
        weakref.finalize(pixels, self._returned, key, segment)
        return memoryview(pixels)

    def handle_of(self, payload: object) -> pb.SharedMemoryHandle | None:
        """The slot holding a payload ``adopt`` returned (None for any other payload); it is
        not reused while ``payload`` is referenced."""
        pixels = payload.obj if isinstance(payload, memoryview) else None
        with self._lock:
            entry = self._adopted.get(id(pixels))
            if entry is None or entry[0]() is not pixels:
                return None
            segment = entry[1]
        return pb.SharedMemoryHandle(name=segment.name, offset=0, size=segment.size)

    def release(self, session_id: str) -> None:
        """Takes back the slots a closed session never used."""
        with self._lock:
            names = [name for name, (owner, _) in self._lent.items() if owner == session_id]
            for name in names:
                _, segment = self._lent.pop(name)
                self._lent_bytes -= segment.size
                self._give_back(segment)

    def usage(self) -> tuple[int, int]:
        """(bytes lent, bytes pooled)."""
        with self._lock:
            return self._lent_bytes, self._pool.bytes

    def close(self) -> None:
        """Removes every segment not held by a stored frame (those go when released)."""
        with self._lock:
            self._closed = True
            segments = [segment for _, segment in self._lent.values()] + self._pool.clear()
            self._lent.clear()
            self._lent_bytes = 0
        for segment in segments:
            _discard(segment)

    # -- internals --------------------------------------------------------------------------

    def _take(self, size: int) -> Segment:
        """A pooled segment of exactly ``size`` bytes, else a new one (lock held)."""
        pooled = self._pool.take(size)
        return pooled if pooled is not None else Segment.create(size, prefix=SERVER_PREFIX)

    def _returned(self, key: int, segment: Segment) -> None:
        with self._lock:
            entry = self._adopted.get(key)
            if entry is not None and entry[1] is segment:
                del self._adopted[key]
        self._give_back(segment)

    def _give_back(self, segment: Segment) -> None:
        with self._lock:
            if not self._closed:
                self._pool.keep(segment)
                return
        _discard(segment)


def _discard(segment: Segment) -> None:
    segment.close()
    segment.unlink()
