# SPDX-License-Identifier: Apache-2.0
"""Frame-sized buffers the server reuses once nothing references them any more.

Filling a new 130 MB buffer costs more in page faults than receiving the frame into it (more
still on virtual machines whose host backs pages lazily; bench/README.md). Once the
frame store is full, every new frame replaces an old one of, usually, the same size: handing
the old frame's pages to the new one makes receiving run at memory speed.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from synthfx.transport.buffers import fresh_buffer


class BufferPool:
    """Buffers of exact sizes, returned here when their last reference goes.

    Args:
        limit_bytes: most bytes kept for reuse (the oldest go first beyond it).
        min_bytes: smaller buffers are plain allocations, not pooled.
    """

    def __init__(self, limit_bytes: int, min_bytes: int = 4 << 20) -> None:
        self.min_bytes = min_bytes
        self.limit_bytes = limit_bytes
        self._free: list[memoryview] = []  # oldest first
        self._free_bytes = 0
        # Reentrant: a buffer's last reference may drop in a thread holding this lock.
        self._lock = threading.RLock()

    def buffer(self, size: int) -> memoryview:
        """A writable buffer of ``size`` bytes; a reused one holds old bytes (not zeros)."""
        if size < self.min_bytes:
            return fresh_buffer(size)
        with self._lock:
            memory = self._take(size)
        if memory is None:
            memory = fresh_buffer(size)
        array = np.frombuffer(memory, np.uint8)
        # Every view of the result keeps `array` alive: the memory is only reused after.
        weakref.finalize(array, self._returned, memory)
        return array.data

    def usage(self) -> int:
        """Bytes kept for reuse."""
        with self._lock:
            return self._free_bytes

    def _take(self, size: int) -> memoryview | None:
        for index, memory in enumerate(self._free):
            if len(memory) == size:
                del self._free[index]
                self._free_bytes -= size
                return memory
        return None

    def _returned(self, memory: memoryview) -> None:
        # Beyond the limit the oldest go: recent sizes are the ones clients are sending now.
        with self._lock:
            self._free.append(memory)
            self._free_bytes += len(memory)
            while self._free_bytes > self.limit_bytes:
                self._free_bytes -= len(self._free.pop(0))
