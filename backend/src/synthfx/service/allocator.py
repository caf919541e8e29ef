# SPDX-License-Identifier: Apache-2.0
"""glibc malloc settings for a server that moves frames in megabyte-sized messages.

By default glibc may serve a 4 MiB message buffer with a fresh mmap and trims the heap after
freeing it, so messages keep faulting pages in again (dear on virtual machines). Keeping freed
memory in the heap up to a bound lets one message's buffers serve the next, which about halves
the time of streaming a 4K float frame back from the server (bench/README.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("synthfx.service")

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
MIB = 1 << 20
SETTINGS = (
    (_M_MMAP_THRESHOLD, 32 * MIB),  # the largest glibc allows: message buffers come from the heap
    (_M_TRIM_THRESHOLD, 256 * MIB),  # free heap kept before returning memory to the system
    (_M_TOP_PAD, 64 * MIB),
)


def tune_allocator() -> bool:
    """Applies ``SETTINGS`` when the C library is glibc; returns whether it did."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl, macOS): its allocator keeps its defaults
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    applied = all(mallopt(option, value) == 1 for option, value in SETTINGS)
    if not applied:
        log.warning("could not tune malloc; frame transfers may be slower")
    return applied
