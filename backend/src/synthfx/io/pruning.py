# SPDX-License-Identifier: Apache-2.0
"""Disk caches bounded by size: the least recently used files go first.

A file's modification time is its last use: writers create it, readers that hit refresh it
(``os.utime``). Hidden files are writes in progress (``synthfx.io.atomic``) and never pruned.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path


def prune_least_recent(files: Iterable[Path], limit_bytes: int) -> int:
    """Removes the least recently used of ``files`` until they hold at most ``limit_bytes``;
    returns the bytes they hold then. A reader that loses an entry this way recomputes it."""
    entries = []
    with suppress(OSError):
        for path in files:
            if path.name.startswith("."):
                continue
            with suppress(OSError):
                info = path.stat()
                entries.append((info.st_mtime, info.st_size, path))
    used = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda entry: entry[0]):
        if used <= limit_bytes:
            break
        path.unlink(missing_ok=True)
        used -= size
    return used
