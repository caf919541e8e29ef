# SPDX-License-Identifier: Apache-2.0
"""Payload buffers and hashing for frames in transit.

A fresh 130 MB buffer (a 4K float RGBA frame) costs more in page faults than the copy that
fills it; large buffers are therefore anonymous mappings advised for transparent huge pages,
which fault 2 MiB at a time (faster to fill; bench/README.md).
"""

from __future__ import annotations

import mmap
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import numpy as np

from synthfx.transport.wire import new_content_digest

_HUGE_PAGE_MIN_BYTES = 4 << 20
_END = None
# Copies this large are split over threads: one thread's memcpy is bound by its own memory
# latency, not by the machine's bandwidth ("copy_bytes" vs "memcpy" in bench/transport.py).
_PARALLEL_COPY_MIN_BYTES = 16 << 20
_COPY_THREADS = max(1, min(4, os.cpu_count() or 1))
_copy_pool: ThreadPoolExecutor | None = None
_copy_pool_lock = threading.Lock()


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
    """The content hash of data fed in pieces, computed on its own thread.

    The hash releases the GIL on large updates, so hashing a frame overlaps with receiving
    the next chunks of it instead of adding to the transfer time.
    """

    def __init__(self) -> None:
        self._hash = new_content_digest()
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


def copy_bytes(target: memoryview, source: bytes | bytearray | memoryview) -> None:
    """``target[:] = source`` for equally long byte buffers, on several threads when large."""
    destination = np.frombuffer(target, np.uint8)
    origin = np.frombuffer(source, np.uint8)
    if destination.size != origin.size:
        raise ValueError(f"copy of {origin.size} bytes into {destination.size}")
    if destination.size < _PARALLEL_COPY_MIN_BYTES or _COPY_THREADS == 1:
        np.copyto(destination, origin)
        return
    step = -(-destination.size // _COPY_THREADS)
    parts = [(destination[i : i + step], origin[i : i + step]) for i in range(0, origin.size, step)]
    for done in [_pool().submit(np.copyto, *part) for part in parts]:
        done.result()


def _pool() -> ThreadPoolExecutor:
    global _copy_pool
    with _copy_pool_lock:
        if _copy_pool is None:
            _copy_pool = ThreadPoolExecutor(_COPY_THREADS, thread_name_prefix="synthfx-copy")
        return _copy_pool
