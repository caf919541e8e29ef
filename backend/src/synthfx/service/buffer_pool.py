# SPDX-License-Identifier: Apache-2.0
"""Frame-sized buffers the server reuses once nothing references them any more.

Filling a new 130 MB buffer costs more in page faults than receiving the frame into it (about
40 ms per 4K frame here, more on virtual machines whose host backs pages lazily). Once the
frame store is full, every new frame replaces an old one of, usually, the same size: handing
the old frame's pages to the new one makes receiving run at memory speed.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

from synthfx.transport.buffers import fresh_buffer

Item = TypeVar("Item")


class SizedPool(Generic[Item]):
    """Items of exact byte sizes kept for reuse; beyond ``limit_bytes`` the oldest are
    discarded (recent sizes are the ones clients are sending now). Not thread-safe: the owner
    locks.

    Args:
        limit_bytes: most bytes kept.
        size_of: an item's size in bytes.
        discard: called with each item dropped for the limit.
    """

    def __init__(
        self,
        limit_bytes: int,
        size_of: Callable[[Item], int],
        discard: Callable[[Item], None] = lambda item: None,
    ) -> None:
        self.limit_bytes = limit_bytes
        self.size_of = size_of
        self.discard = discard
        self.items: list[Item] = []
        self.bytes = 0

    def take(self, size: int) -> Item | None:
        """A kept item of exactly ``size`` bytes (no longer kept), or None."""
        for index, item in enumerate(self.items):
            if self.size_of(item) == size:
                del self.items[index]
                self.bytes -= size
                return item
        return None

    def holds(self, sizes: list[int]) -> bool:
        """Whether one kept item per size is at hand."""
        available = Counter(self.size_of(item) for item in self.items)
        available.subtract(sizes)
        return all(count >= 0 for count in available.values())

    def keep(self, item: Item) -> None:
        self.items.append(item)
        self.bytes += self.size_of(item)
        while self.bytes > self.limit_bytes:
            oldest = self.items.pop(0)
            self.bytes -= self.size_of(oldest)
            self.discard(oldest)

    def clear(self) -> list[Item]:
        """Every kept item, no longer kept."""
        items, self.items, self.bytes = self.items, [], 0
        return items


class BufferPool:
    """Buffers of exact sizes, returned here when their last reference goes.

    Args:
        limit_bytes: most bytes kept for reuse (the oldest go first beyond it).
        min_bytes: smaller buffers are plain allocations, not pooled.
    """

    def __init__(self, limit_bytes: int, min_bytes: int = 4 << 20) -> None:
        self.min_bytes = min_bytes
        self._free: SizedPool[memoryview] = SizedPool(limit_bytes, len)
        # Reentrant: a buffer's last reference may drop in a thread holding this lock.
        self._lock = threading.RLock()

    def buffer(self, size: int) -> memoryview:
        """A writable buffer of ``size`` bytes; a reused one holds old bytes (not zeros)."""
        if size < self.min_bytes:
            return fresh_buffer(size)
        with self._lock:
            memory = self._free.take(size)
        if memory is None:
            memory = fresh_buffer(size)
        array = np.frombuffer(memory, np.uint8)
        # Every view of the result keeps `array` alive: the memory is only reused after.
        weakref.finalize(array, self._returned, memory)
        return memoryview(array)

    def usage(self) -> int:
        """Bytes kept for reuse."""
        with self._lock:
            return self._free.bytes

    def _returned(self, memory: memoryview) -> None:
        with self._lock:
            self._free.keep(memory)
