# SPDX-License-Identifier: Apache-2.0
import gc

import numpy as np

from synthfx.service.buffer_pool import BufferPool

MIB = 1 << 20


def _address(view: memoryview) -> int:
    return np.frombuffer(view, np.uint8).ctypes.data


def test_a_buffer_is_reused_only_after_its_last_view_is_gone() -> None:
    pool = BufferPool(limit_bytes=64 * MIB)
    first = pool.buffer(8 * MIB)
    first[:4] = b"abcd"
    address = _address(first)
    pixels = np.frombuffer(first, np.float32)  # a reader's view, as a render would hold
    del first
    gc.collect()
    assert pool.usage() == 0
    other = pool.buffer(8 * MIB)
    assert _address(other) != address  # still read: not handed out again
    del pixels
    gc.collect()
    assert pool.usage() == 8 * MIB
    again = pool.buffer(8 * MIB)
    assert _address(again) == address and bytes(again[:4]) == b"abcd"  # same pages, old bytes
    assert pool.usage() == 0
    assert len(pool.buffer(9 * MIB)) == 9 * MIB  # other sizes get new memory
    del other, again


def test_the_pool_keeps_at_most_its_limit_and_small_buffers_are_not_pooled() -> None:
    pool = BufferPool(limit_bytes=20 * MIB)
    buffers = [pool.buffer(8 * MIB) for _ in range(3)]
    del buffers
    gc.collect()
    assert pool.usage() == 16 * MIB  # the third would pass the limit
    small = pool.buffer(1024)
    assert len(small) == 1024 and bytes(small) == bytes(1024)
    del small
    gc.collect()
    assert pool.usage() == 16 * MIB
