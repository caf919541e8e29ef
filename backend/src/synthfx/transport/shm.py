# SPDX-License-Identifier: Apache-2.0
"""POSIX shared memory segments for same-host payloads (``synthfx.v1.SharedMemoryHandle``).

A segment is the file ``/dev/shm/NAME`` (what ``shm_open("/NAME")`` opens on Linux). Clients
create and remove segments; the server only opens existing ones, by a validated name, and only
when they belong to its own user: a process of the same user could write the server's cache
directly, so it is trusted with its payload's hash as well.

Whoever creates a segment holds a shared ``flock`` on it until it closes it, so a segment left
by a process that crashed (or was killed with -9) is recognisable: nobody holds its lock. The
lock goes with the process in any PID namespace, where a PID in the name would not tell.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import re
import secrets
import time
from contextlib import suppress
from pathlib import Path

from synthfx.errors import InputError

SHM_DIR = Path("/dev/shm")
SHM_NAME = re.compile(r"^synthfx-[A-Za-z0-9_-]{1,128}$")
# Segments are named PREFIX-PID-TOKEN. The "2" marks creators that hold the lock (synthfx
# 2 and later: clients' CLIENT_PREFIX, and protocol 2 servers' "synthfx-s2" upload slots);
# other synthfx segments are never taken for orphans, as older creators did not lock them.
CLIENT_PREFIX = "synthfx-c2"
_LOCKING_NAME = re.compile(r"^synthfx-[a-z]*2-\d+-[0-9a-f]+$")
# Fault pages in while mapping: one kernel call instead of a page fault per 4 KiB.
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
# A segment this new is never taken for an orphan: its creator locks it just after creating it.
ORPHAN_MIN_AGE_S = 10.0


def shared_memory_available() -> bool:
    """Whether this machine has a POSIX shared memory directory."""
    return SHM_DIR.is_dir() and os.access(SHM_DIR, os.W_OK)


def check_name(name: str, what: str = "shared memory segment") -> str:
    """``name`` when it is a segment name synthfx may open (never a path)."""
    if not SHM_NAME.match(name):
        raise InputError(
            f"{what}: name must match {SHM_NAME.pattern} (no '/' or '..'), got {name!r:.80}"
        )
    return name


class Segment:
    """A mapped segment; ``buffer`` is a writable memoryview of its bytes.

    Use ``Segment.create`` (client) or ``Segment.open`` (server); ``close`` unmaps, and
    ``unlink`` removes the name (the owner's job).
    """

    def __init__(
        self, name: str, mapping: mmap.mmap, start: int, size: int, owner_fd: int | None = None
    ) -> None:
        self.name = name
        self.size = size
        self._owner_fd = owner_fd  # holds the creator's lock (see remove_orphaned_segments)
        self._mapping = mapping
        self._whole = memoryview(mapping)
        self.buffer = self._whole[start : start + size]

    @classmethod
    def create(cls, size: int, prefix: str = CLIENT_PREFIX) -> Segment:
        """A new segment of ``size`` bytes (readable and writable by this user only).

        Raises:
            OSError: no room in /dev/shm (ENOSPC) or no shared memory at all.
        """
        name = f"{prefix}-{os.getpid()}-{secrets.token_hex(8)}"
        check_name(name)
        path = SHM_DIR / name
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            # Reserved, not just sized: a write to a sparse page of a full /dev/shm (64 MB in a
            # default container) would kill the process with SIGBUS; this fails with ENOSPC.
            os.posix_fallocate(fd, 0, max(size, 1))
            mapping = mmap.mmap(fd, max(size, 1), flags=mmap.MAP_SHARED)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        return cls(name, mapping, 0, size, owner_fd=fd)

    @classmethod
    def open(cls, name: str, offset: int, size: int, what: str) -> Segment:
        """Maps ``size`` bytes at ``offset`` of an existing segment of this user.

        Raises:
            InputError: a bad name, a missing segment, another user's segment, or one smaller
                than ``offset + size``; the message names the segment.
        """
        fd = _open_checked(name, offset, size, what)
        try:
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            length = offset + size - start
            mapping = mmap.mmap(fd, max(length, 1), flags=mmap.MAP_SHARED | _POPULATE, offset=start)
        finally:
            os.close(fd)
        return cls(name, mapping, offset - start, size)

    @staticmethod
    def check(name: str, offset: int, size: int, what: str) -> None:
        """Raises what ``open`` would, without mapping anything."""
        os.close(_open_checked(name, offset, size, what))

    def close(self) -> None:
        self.buffer.release()
        self._whole.release()
        with suppress(BufferError):
            self._mapping.close()
        if self._owner_fd is not None:
            os.close(self._owner_fd)
            self._owner_fd = None

    def unlink(self) -> None:
        (SHM_DIR / self.name).unlink(missing_ok=True)

    def __enter__(self) -> Segment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def remove_orphaned_segments(min_age_s: float = ORPHAN_MIN_AGE_S) -> list[str]:
    """Removes this user's synthfx segments that no live process holds (their creator crashed
    or was killed before removing them) and that are older than ``min_age_s``; returns their
    names."""
    removed = []
    with suppress(OSError):
        for path in SHM_DIR.iterdir():
            if _LOCKING_NAME.match(path.name) and _orphaned(path, min_age_s):
                removed.append(path.name)
    return removed


def _orphaned(path: Path, min_age_s: float) -> bool:
    """Whether ``path`` was an orphaned segment (and is now removed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if info.st_uid != os.getuid() or time.time() - info.st_mtime < min_age_s:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # its creator is alive and holds it
        if os.stat(path, follow_symlinks=False).st_ino != info.st_ino:
            return False  # replaced since it was opened
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _open_checked(name: str, offset: int, size: int, what: str) -> int:
    """A file descriptor of an existing segment of this user holding ``offset + size`` bytes."""
    check_name(name, what)
    path = SHM_DIR / name
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError as exc:
        raise InputError(f"{what}: cannot open shared memory {name!r}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.getuid():
            raise InputError(f"{what}: shared memory {name!r} belongs to another user")
        if offset < 0 or size < 0 or offset + size > info.st_size:
            raise InputError(
                f"{what}: shared memory {name!r} has {info.st_size} bytes, "
                f"{size} are needed at offset {offset}"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd
