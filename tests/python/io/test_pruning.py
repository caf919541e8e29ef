# SPDX-License-Identifier: Apache-2.0
"""prune_least_recent on real files: the oldest go first, writes in progress never."""

from __future__ import annotations

import os
from pathlib import Path

from synthfx.io.pruning import prune_least_recent


def _file(path: Path, size: int, stamp: int) -> Path:
    path.write_bytes(b"x" * size)
    os.utime(path, (stamp, stamp))
    return path


def test_smoke(tmp_path: Path) -> None:
    old, middle, new = (_file(tmp_path / f"{n}.npy", 100, 1000 + n) for n in range(3))
    writing = _file(tmp_path / ".3.tmp-abc.npy", 100, 1)  # the oldest, but being written
    assert prune_least_recent(tmp_path.glob("*.npy"), 250) == 200
    assert [p.exists() for p in (old, middle, new, writing)] == [False, True, True, True]
    assert prune_least_recent(tmp_path.glob("*.npy"), 1000) == 200  # within the limit: kept
    assert prune_least_recent((tmp_path / "missing").glob("*.npy"), 0) == 0
