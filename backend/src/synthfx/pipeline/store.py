# SPDX-License-Identifier: Apache-2.0
"""Content-addressed result store of the video pipeline.

Entries are ``.npy`` arrays (float32, never quantised) or small JSON records under
``ROOT/<kind>/<key[:2]>/<key>``, written atomically, so an interrupted job leaves either a
complete entry or none. Keys are SHA-256 hex digests of everything that determines the entry
(see ``chain_key``); a damaged entry reads as missing and is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from synthfx.errors import InputError
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
        root: Directory of the store; created when missing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
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

    def put_array(self, kind: str, key: str, array: np.ndarray) -> None:
        path = self._path(kind, key, ".npy")
        with atomic_path(path) as temporary, temporary.open("wb") as stream:
            np.save(stream, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)

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
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(record, sort_keys=True))
