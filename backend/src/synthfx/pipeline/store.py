# SPDX-License-Identifier: Apache-2.0
"""Content-addressed result store of the video pipeline.

Entries are ``.npy`` arrays (float32, never quantised) or small JSON records under
``ROOT/<kind>/<key[:2]>/<key>``, written atomically, so an interrupted job leaves either a
complete entry or none. Keys are SHA-256 hex digests of everything that determines the entry
(see ``chain_key``); a damaged entry reads as missing and is recomputed. A store is also the
unit a bounded cache keeps or drops whole (``service.segment_cache``): its size on disk, marks
whose modification time records its last use, and an atomic ``remove``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from synthfx.errors import DiskFullError, InputError
from synthfx.io.atomic import atomic_path

_KEY = re.compile(r"^[0-9a-f]{64}$")
_KIND = re.compile(r"^[a-z][a-z0-9-]*$")


def chain_key(*parts: str) -> str:
    """SHA-256 over text parts, unambiguously separated."""
    digest = hashlib.sha256()
    for part in parts:
        encoded = part.encode()
        digest.update(f"{len(encoded)}:".encode())
        digest.update(encoded)
    return digest.hexdigest()


class ResultStore:
    """Arrays and JSON records addressed by (kind, key).

    Args:
        root: Directory of the store; created when missing (unless ``create`` is false: a
            store only measured or removed).
    """

    def __init__(self, root: str | os.PathLike[str], *, create: bool = True) -> None:
        self.root = Path(root)
        if create:
            self.create()

    def create(self) -> None:
        """Makes the store's directory, if missing."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create cache directory {self.root}: {exc}") from None

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        if not _KIND.match(kind) or not _KEY.match(key):
            raise ValueError(f"bad store address {kind!r}/{key!r}")
        return self.root / kind / key[:2] / f"{key}{suffix}"

    @property
    def flow_dir(self) -> Path:
        """Directory of the flow cache (``synthfx.flow.cached_flow``)."""
        return self.root / "flow"

    def has(self, kind: str, key: str) -> bool:
        return self._path(kind, key, ".npy").is_file()

    def get_array(self, kind: str, key: str) -> np.ndarray | None:
        """The stored array, or None when missing or unreadable."""
        path = self._path(kind, key, ".npy")
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return array if array.dtype == np.float32 else None

    def touch_array(self, kind: str, key: str) -> None:
        """Refreshes the stored array's time: its last use, for a cache bounded by size."""
        with contextlib.suppress(OSError):
            os.utime(self._path(kind, key, ".npy"))

    def array_files(self, kind: str) -> Iterator[Path]:
        """The files of every stored array of ``kind``."""
        return (self.root / kind).glob("*/*.npy")

    def put_array(self, kind: str, key: str, array: np.ndarray) -> None:
        path = self._path(kind, key, ".npy")
        try:
            with atomic_path(path) as temporary, temporary.open("wb") as stream:
                np.save(stream, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
        except OSError as exc:
            self._raise_if_full(exc, array.nbytes)
            raise

    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        """The stored JSON record, or None when missing or unreadable."""
        path = self._path(kind, key, ".json")
        try:
            value = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def put_record(self, kind: str, key: str, record: dict[str, Any]) -> None:
        path = self._path(kind, key, ".json")
        text = json.dumps(record, sort_keys=True)
        try:
            with atomic_path(path) as temporary:
                temporary.write_text(text)
        except OSError as exc:
            self._raise_if_full(exc, len(text))
            raise

    def _raise_if_full(self, exc: OSError, size: int) -> None:
        """Raises DiskFullError for a write of ``size`` bytes that failed for lack of space.

        numpy reports a short write without an errno: then the free space tells.
        """
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        if not full and exc.errno is None:
            with contextlib.suppress(OSError):
                full = shutil.disk_usage(self.root).free < size
        if full:
            raise DiskFullError(
                f"out of disk space in the backend's cache directory {self.root}: free space "
                "there, or start the backend with --cache-dir on a disk with room"
            ) from exc

    # -- the store as a whole -----------------------------------------------------------------

    def disk_usage(self) -> int:
        """Bytes of every file under the store (0 when it is gone)."""
        total = 0
        for base, _dirs, files in os.walk(self.root):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.stat(os.path.join(base, name)).st_size
        return total

    def mark(self, name: str) -> None:
        """Sets the mark ``name`` (a file ``ROOT/<name>``); its time is the store's last use."""
        (self.root / name).touch()

    def used(self, mark: str) -> None:
        """Refreshes the time of the mark, if it is set."""
        with contextlib.suppress(OSError):
            os.utime(self.root / mark)

    def marked(self, name: str) -> bool:
        return (self.root / name).exists()

    def last_used(self, mark: str) -> float:
        """When the store was last used: its mark's time, else (no mark) its directory's."""
        for path in (self.root / mark, self.root):
            with contextlib.suppress(OSError):
                return path.stat().st_mtime
        return time.time()

    def retire(self, trash: Path) -> Path:
        """Moves the store into ``trash`` in one rename, so a store opened at the same root
        afterwards starts empty at once; returns where it went (the caller deletes it)."""
        trash.mkdir(parents=True, exist_ok=True)
        target = trash / f"{self.root.name}-{secrets.token_hex(4)}"
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.root, target)
        return target

    def remove(self, trash: Path) -> None:
        """Deletes the store: ``retire`` then delete."""
        shutil.rmtree(self.retire(trash), ignore_errors=True)
