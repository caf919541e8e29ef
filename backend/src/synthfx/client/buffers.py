# SPDX-License-Identifier: Apache-2.0
"""Payload buffers and hashing for frames in transit.

A fresh 130 MB buffer (a 4K float RGBA frame) costs more in page faults than the copy that
fills it; large buffers are therefore anonymous mappings advised for transparent huge pages,
which fault 2 MiB at a time (about twice as fast to fill here).
"""

from __future__ import annotations

import hashlib
import mmap
import queue
import threading
from contextlib import suppress

_HUGE_PAGE_MIN_BYTES = 4 << 20
_END = None


def fresh_buffer(size: int) -> memoryview:
    """A writable, zero-filled buffer of ``size`` bytes.

    Fill it through the memoryview (``view[a:b] = data``): slice assignment into a
    ``bytearray`` runs about twice as slow.
    """
    if size < _HUGE_PAGE_MIN_BYTES:
        return memoryview(bytearray(size))
    mapping = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    with suppress(AttributeError, OSError):  # no madvise or no THP: 4 KiB pages, still correct
        mapping.madvise(mmap.MADV_HUGEPAGE)
    return memoryview(mapping)


class BackgroundHasher:
    """SHA-256 of data fed in pieces, computed on its own thread.

    ``hashlib`` releases the GIL on large updates, so hashing a frame overlaps with receiving
    the next chunks of it instead of adding to the transfer time.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pieces: queue.SimpleQueue[bytes | memoryview | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="synthfx-hash", daemon=True)
        self._thread.start()

    def update(self, piece: bytes | memoryview) -> None:
        """Queues ``piece``; it must not change until ``hexdigest`` returns."""
        self._pieces.put(piece)

    def hexdigest(self) -> str:
        """The digest of everything queued (waits for the thread)."""
        self._pieces.put(_END)
        self._thread.join()
        return self._hash.hexdigest()

    def close(self) -> None:
        """Stops the thread without a digest (an abandoned transfer)."""
        if self._thread.is_alive():
            self._pieces.put(_END)
            self._thread.join()

    def _work(self) -> None:
        while (piece := self._pieces.get()) is not _END:
            self._hash.update(piece)
