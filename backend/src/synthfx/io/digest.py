# SPDX-License-Identifier: Apache-2.0
"""SHA-256 of arrays and files, for content-addressed caches and done-records."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np


def hash_array_into(digest: Any, array: np.ndarray) -> None:
    """Feeds an array's dtype, shape and bytes to ``digest`` (equal bytes can be other images)."""
    contiguous = np.ascontiguousarray(array)
    digest.update(f"{contiguous.dtype.str}{contiguous.shape}\n".encode())
    digest.update(memoryview(contiguous).cast("B"))


def array_sha256(array: np.ndarray) -> str:
    """Hex SHA-256 of an array's dtype, shape and bytes."""
    digest = hashlib.sha256()
    hash_array_into(digest, array)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
