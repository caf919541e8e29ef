# SPDX-License-Identifier: Apache-2.0
"""Uploaded frames, in memory, addressed by the SHA-256 of their payload.

Bounded in bytes and evicted least recently used first. Frames an open session uploaded or
used are pinned until the session closes, so a render never loses a frame it was promised.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from synthfx.service.status import ServiceError
from synthfx.v1 import synthfx_pb2 as pb


@dataclass
class _Entry:
    payload: bytes | bytearray | memoryview
    desc: pb.ImageDesc
    sessions: set[str] = field(default_factory=set)


class FrameStore:
    """Payload bytes by content hash.

    Args:
        limit_bytes: most bytes held; uploads beyond it evict unpinned frames, and fail with
            RESOURCE_EXHAUSTED when pinned frames alone fill it.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def missing(self, hashes: Iterable[str]) -> list[str]:
        with self._lock:
            return [h for h in hashes if h not in self._entries]

    def get(
        self, content_hash: str, session_id: str | None = None
    ) -> bytes | bytearray | memoryview | None:
        """The payload (marked recently used and pinned by ``session_id``), or None."""
        with self._lock:
            entry = self._entries.get(content_hash)
            if entry is None:
                return None
            self._entries.move_to_end(content_hash)
            if session_id is not None:
                entry.sessions.add(session_id)
            return entry.payload

    def describe(self, content_hash: str) -> pb.ImageDesc | None:
        """The description the frame was uploaded with."""
        with self._lock:
            entry = self._entries.get(content_hash)
            return None if entry is None else entry.desc

    def pin(self, content_hash: str, session_id: str) -> bool:
        """Pins a held frame for ``session_id`` (as ``put`` would); False when not held."""
        with self._lock:
            entry = self._entries.get(content_hash)
            if entry is None:
                return False
            entry.sessions.add(session_id)
            self._entries.move_to_end(content_hash)
            return True

    def put(
        self,
        content_hash: str,
        payload: bytes | bytearray | memoryview,
        desc: pb.ImageDesc,
        session_id: str,
    ) -> None:
        with self._lock:
            entry = self._entries.get(content_hash)
            if entry is not None:
                entry.sessions.add(session_id)
                self._entries.move_to_end(content_hash)
                return
            self._make_room(len(payload))
            self._entries[content_hash] = _Entry(payload, desc, {session_id})
            self._used += len(payload)

    def release(self, session_id: str) -> None:
        """Unpins every frame of a closed session."""
        with self._lock:
            for entry in self._entries.values():
                entry.sessions.discard(session_id)

    def usage(self) -> tuple[int, int]:
        """(frames, bytes) held."""
        with self._lock:
            return len(self._entries), self._used

    def _make_room(self, size: int) -> None:
        if size > self.limit_bytes:
            raise ServiceError.resource_exhausted(
                f"a {size}-byte frame exceeds the frame store ({self.limit_bytes} bytes, "
                "serve --frame-store-mb)"
            )
        for content_hash in list(self._entries):
            if self._used + size <= self.limit_bytes:
                return
            entry = self._entries[content_hash]
            if not entry.sessions:
                del self._entries[content_hash]
                self._used -= len(entry.payload)
        if self._used + size > self.limit_bytes:
            raise ServiceError.resource_exhausted(
                f"frame store full: {self._used} of {self.limit_bytes} bytes are pinned by open "
                "sessions; close sessions or raise serve --frame-store-mb"
            )
