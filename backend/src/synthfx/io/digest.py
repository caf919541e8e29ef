# SPDX-License-Identifier: Apache-2.0
"""Digests of arrays and files, for content-addressed caches and done-records.

BLAKE3 rather than SHA-256: every frame of a pass is hashed a few times for its cache keys (its
own digest, both frames of each flow), and with SHA-256 that cost mattered next to a GPU
synthesis (bench/README.md).
"""

from __future__ import annotations

import os
from typing import Any

import blake3
import numpy as np


def new_digest() -> blake3.blake3:
    """An incremental digest (``update`` pieces, then ``hexdigest``)."""
    return blake3.blake3()


def hash_array_into(digest: Any, array: np.ndarray) -> None:
    """Feeds an array's dtype, shape and bytes to ``digest`` (equal bytes can be other images)."""
    contiguous = np.ascontiguousarray(array)
    digest.update(f"{contiguous.dtype.str}{contiguous.shape}\n".encode())
    digest.update(contiguous.data.cast("B"))


def array_digest(array: np.ndarray) -> str:
    """Hex digest of an array's dtype, shape and bytes."""
    digest = new_digest()
    hash_array_into(digest, array)
    return digest.hexdigest()


def file_digest(path: str | os.PathLike[str]) -> str:
    """Hex digest of a file's bytes, read in 1 MiB blocks."""
    digest = new_digest()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
