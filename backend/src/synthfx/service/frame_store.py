# SPDX-License-Identifier: Apache-2.0
"""Uploaded frames, addressed by the content hash of their payload: in memory, spilled to disk.

A long 4K shot does not fit in memory (130 MB a float RGBA frame), so memory only holds the
most recently used frames; when it is full, the least recently used ones move to files in the
spill directory and come back on demand (checked against their hash). Frames an open session
uploaded or used are pinned until the session closes: they may move to disk but are never
dropped, so a render never loses a frame it was promised. Unpinned frames are dropped least
recently used first when the disk budget is full. Spilled frames survive a restart.

Spill file: ``MAGIC``, the length of the serialized ``ImageDesc`` (4 bytes, little-endian), the
description, then the payload. The file name is the content hash.
"""

from __future__ import annotations

import logging
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.message import DecodeError

from synthfx.errors import InputError
from synthfx.io.atomic import atomic_path
from synthfx.service.buffer_pool import BufferPool
from synthfx.service.status import StatusError
from synthfx.transport.wire import check_desc, payload_size
from synthfx.transport.wire import content_hash as hash_of_payload
from synthfx.v1 import synthfx_pb2 as pb

log = logging.getLogger("synthfx.service")

MAGIC = b"SFXFRAM1"
_LENGTH = struct.Struct("<I")
_HEADER_MAX = 1 << 16
_HASH_NAME = re.compile(r"^[0-9a-f]{64}$")
Payload = bytes | bytearray | memoryview


@dataclass
class _Entry:
    desc: pb.ImageDesc
    size: int
    payload: Payload | None  # None: on disk only
    on_disk: bool = False
    sessions: set[str] = field(default_factory=set)


class FrameStore:
    """Payload bytes by content hash.

    Args:
        limit_bytes: most payload bytes held in memory.
        spill_dir: where frames go when memory is full (None: nowhere, and uploads beyond
            ``limit_bytes`` evict unpinned frames or fail).
        spill_limit_bytes: most payload bytes on disk.
        reuse_limit_bytes: most bytes of dropped frames' buffers kept for new frames.
    """

    def __init__(
        self,
        limit_bytes: int,
        spill_dir: Path | None = None,
        spill_limit_bytes: int = 0,
        reuse_limit_bytes: int = 0,
    ) -> None:
        self.limit_bytes = limit_bytes
        self._buffers = BufferPool(reuse_limit_bytes)
        self.spill_dir = spill_dir if spill_limit_bytes > 0 else None
        self.spill_limit_bytes = spill_limit_bytes if self.spill_dir is not None else 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._used = 0
        self._disk_used = 0
        self._lock = threading.Lock()
        if self.spill_dir is not None:
            self._load_index(self.spill_dir)

    # -- queries ---------------------------------------------------------------------------

    def missing(self, hashes: Iterable[str]) -> list[str]:
        with self._lock:
            return [h for h in hashes if h not in self._entries]

    def describe(self, content_hash: str) -> pb.ImageDesc | None:
        """The description the frame was uploaded with."""
        with self._lock:
            entry = self._entries.get(content_hash)
            return None if entry is None else entry.desc

    def payload_bytes(self, content_hash: str) -> int | None:
        """The payload size of a held frame, without loading it."""
        with self._lock:
            entry = self._entries.get(content_hash)
            return None if entry is None else entry.size

    def usage(self) -> tuple[int, int]:
        """(frames, bytes in memory)."""
        with self._lock:
            return len(self._entries), self._used

    def reusable_bytes(self) -> int:
        """Memory of dropped frames kept for new ones."""
        return self._buffers.usage()

    def disk_usage(self) -> int:
        """Payload bytes in the spill directory."""
        with self._lock:
            return self._disk_used

    # -- frames ----------------------------------------------------------------------------

    def get(self, content_hash: str, session_id: str | None = None) -> Payload | None:
        """The payload (marked recently used and pinned by ``session_id``), or None.

        A spilled frame is read back (outside the lock) and checked against its hash; a
        damaged or vanished file counts as missing.
        """
        with self._lock:
            entry = self._touch(content_hash, session_id)
            if entry is None:
                return None
            if entry.payload is not None:
                return entry.payload
        payload = self._read_spilled(content_hash, entry.size)
        with self._lock:
            current = self._entries.get(content_hash)
            if payload is None:
                if current is entry:
                    self._forget(content_hash)
                return None
            if current is entry and entry.payload is None:
                try:
                    self._make_room(entry.size, keep=content_hash)
                except StatusError:
                    return payload  # memory is full of pinned frames: serve it from disk
                entry.payload = payload
                self._used += entry.size
            return payload

    def new_buffer(self, size: int) -> memoryview:
        """A buffer to receive a frame into (it may hold an earlier frame's bytes)."""
        return self._buffers.buffer(size)

    def pin(self, content_hash: str, session_id: str) -> bool:
        """Pins a held frame for ``session_id`` (as ``put`` would); False when not held."""
        with self._lock:
            return self._touch(content_hash, session_id) is not None

    def put(self, content_hash: str, payload: Payload, desc: pb.ImageDesc, session_id: str) -> None:
        with self._lock:
            if self._touch(content_hash, session_id) is not None:
                return
            self._make_room(len(payload))
            self._entries[content_hash] = _Entry(desc, len(payload), payload, False, {session_id})
            self._used += len(payload)

    def release(self, session_id: str) -> None:
        """Unpins every frame of a closed session."""
        with self._lock:
            for entry in self._entries.values():
                entry.sessions.discard(session_id)

    # -- internals (called with the lock held) ----------------------------------------------

    def _touch(self, content_hash: str, session_id: str | None) -> _Entry | None:
        entry = self._entries.get(content_hash)
        if entry is not None:
            self._entries.move_to_end(content_hash)
            if session_id is not None:
                entry.sessions.add(session_id)
        return entry

    def _make_room(self, size: int, keep: str | None = None) -> None:
        """Frees memory for ``size`` bytes: spills (or, unpinned, drops) the least recent."""
        if size > self.limit_bytes:
            raise StatusError.resource_exhausted(
                f"a {size}-byte frame exceeds the frame store's memory ({self.limit_bytes} "
                "bytes, serve --frame-store-mb)"
            )
        for content_hash in list(self._entries):
            if self._used + size <= self.limit_bytes:
                return
            entry = self._entries[content_hash]
            if entry.payload is None or content_hash == keep:
                continue
            if not entry.on_disk and self.spill_dir is not None:
                self._spill(content_hash, entry)
            if entry.on_disk:
                entry.payload = None
                self._used -= entry.size
            elif not entry.sessions:
                self._forget(content_hash)
        if self._used + size > self.limit_bytes:
            raise StatusError.resource_exhausted(
                f"frame store full: {self._used} of {self.limit_bytes} bytes of memory hold "
                "frames pinned by open sessions"
                + (
                    f" and the spill directory's {self.spill_limit_bytes} bytes are full"
                    if self.spill_dir is not None
                    else ""
                )
                + "; close sessions or raise serve --frame-store-mb / --frame-disk-mb"
            )

    def _spill(self, content_hash: str, entry: _Entry) -> None:
        """Writes a frame to the spill directory when the disk budget allows (else keeps it)."""
        assert self.spill_dir is not None and entry.payload is not None
        if not self._make_disk_room(entry.size):
            return
        header = entry.desc.SerializeToString()
        try:
            with atomic_path(self._spill_path(content_hash)) as temporary:
                with temporary.open("wb") as file:
                    file.write(MAGIC + _LENGTH.pack(len(header)) + header)
                    file.write(entry.payload)
        except OSError as exc:
            log.warning(
                "cannot spill frame", extra={"fields": {"hash": content_hash, "error": str(exc)}}
            )
            return
        entry.on_disk = True
        self._disk_used += entry.size

    def _make_disk_room(self, size: int) -> bool:
        for content_hash in list(self._entries):
            if self._disk_used + size <= self.spill_limit_bytes:
                return True
            entry = self._entries[content_hash]
            if entry.on_disk and not entry.sessions:
                self._remove_file(content_hash, entry)
                if entry.payload is None:
                    del self._entries[content_hash]
        return self._disk_used + size <= self.spill_limit_bytes

    def _forget(self, content_hash: str) -> None:
        entry = self._entries.pop(content_hash)
        if entry.payload is not None:
            self._used -= entry.size
        if entry.on_disk:
            self._remove_file(content_hash, entry)

    def _remove_file(self, content_hash: str, entry: _Entry) -> None:
        with suppress(FileNotFoundError):
            self._spill_path(content_hash).unlink()
        entry.on_disk = False
        self._disk_used -= entry.size

    def _spill_path(self, content_hash: str) -> Path:
        assert self.spill_dir is not None
        return self.spill_dir / content_hash[:2] / content_hash

    # -- spill files -----------------------------------------------------------------------

    def _read_spilled(self, content_hash: str, size: int) -> memoryview | None:
        """A spilled payload, or None when the file is gone, damaged or not this content."""
        path = self._spill_path(content_hash)
        try:
            with path.open("rb") as file:
                desc = _read_header(file)
                payload = self.new_buffer(size)
                if desc is None or file.readinto(payload) != size or file.read(1):
                    raise ValueError("truncated or malformed")
        except (OSError, ValueError) as exc:
            fields = {"hash": content_hash, "error": str(exc)}
            log.warning("spilled frame unusable", extra={"fields": fields})
            return None
        if hash_of_payload(payload) != content_hash:
            log.warning("spilled frame damaged", extra={"fields": {"hash": content_hash}})
            return None
        return payload

    def _load_index(self, spill_dir: Path) -> None:
        """Frames spilled by earlier runs, least recently written first; stray files removed."""
        found = []
        for path in spill_dir.glob("*/*") if spill_dir.is_dir() else ():
            if not _HASH_NAME.match(path.name) or path.parent.name != path.name[:2]:
                if path.name.startswith("."):  # a write cut short by a crash
                    path.unlink(missing_ok=True)
                continue
            try:
                with path.open("rb") as file:
                    desc = _read_header(file)
                    header_end = file.tell()
                stat = path.stat()
            except OSError:
                continue
            size = stat.st_size - header_end
            if desc is None or size != _described_size(desc):
                path.unlink(missing_ok=True)
                continue
            found.append((stat.st_mtime_ns, path.name, desc, size))
        for _, content_hash, desc, size in sorted(found):
            if self._disk_used + size > self.spill_limit_bytes:
                self._spill_path(content_hash).unlink(missing_ok=True)
                continue
            self._entries[content_hash] = _Entry(desc, size, None, on_disk=True)
            self._disk_used += size


def _described_size(desc: pb.ImageDesc) -> int:
    try:
        check_desc(desc, "spilled frame")
    except InputError:
        return -1
    return payload_size(desc)


def _read_header(file) -> pb.ImageDesc | None:
    """The description at the start of a spill file (file positioned after it), or None."""
    start = file.read(len(MAGIC) + _LENGTH.size)
    if len(start) != len(MAGIC) + _LENGTH.size or not start.startswith(MAGIC):
        return None
    (length,) = _LENGTH.unpack(start[len(MAGIC) :])
    if length > _HEADER_MAX:
        return None
    header = file.read(length)
    if len(header) != length:
        return None
    try:
        return pb.ImageDesc.FromString(header)
    except DecodeError:
        return None
