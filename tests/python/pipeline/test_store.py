# SPDX-License-Identifier: Apache-2.0
"""ResultStore: entries by (kind, key), and the store as a whole (size, marks, removal)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from synthfx.pipeline.store import ResultStore, chain_key
from synthfx_testing import small_tmpfs

KEY = chain_key("entry")


def test_smoke(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s")
    entry = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert store.get_array("pass", KEY) is None and not store.has("pass", KEY)
    store.put_array("pass", KEY, entry)
    np.testing.assert_array_equal(store.get_array("pass", KEY), entry)
    store.put_record("done", KEY, {"frames": 3})
    assert store.get_record("done", KEY) == {"frames": 3}
    with pytest.raises(ValueError, match="bad store address"):
        store.has("Pass", KEY)


def test_size_marks_and_removal(tmp_path: Path) -> None:
    root = tmp_path / "segments" / "a"
    unopened = ResultStore(root, create=False)
    assert not root.exists() and unopened.disk_usage() == 0
    store = ResultStore(root)
    store.put_array("pass", KEY, np.zeros((4, 4, 2), np.float32))
    size = (root / "pass" / KEY[:2] / f"{KEY}.npy").stat().st_size
    assert store.disk_usage() == size

    assert not store.marked("complete")
    store.used("complete")  # not set: stays unset
    assert not store.marked("complete")
    store.mark("complete")
    os.utime(root / "complete", (1000, 1000))
    assert store.marked("complete") and store.last_used("complete") == 1000
    store.used("complete")
    assert store.last_used("complete") > 1000

    trash = tmp_path / "trash"
    store.remove(trash)
    assert not root.exists() and list(trash.iterdir()) == []
    assert ResultStore(root).get_array("pass", KEY) is None  # a store there starts empty


def test_exception_disk_full(tmp_path: Path) -> None:
    """A store on a full filesystem (a 16 KiB tmpfs; needs root's mount) raises DiskFullError
    naming its directory, for arrays and records, and leaves no partial entry."""
    from synthfx.errors import DiskFullError

    with small_tmpfs(tmp_path / "disk", "16k") as mount:
        store = ResultStore(mount / "s")
        with pytest.raises(DiskFullError, match=f"out of disk space .* {mount / 's'}"):
            store.put_array("pass", KEY, np.zeros((64, 64, 4), np.float32))
        assert not store.has("pass", KEY)
        store.put_array("pass", chain_key("filler"), np.zeros((900, 4), np.float32))
        with pytest.raises(DiskFullError, match="--cache-dir"):
            store.put_record("done", KEY, {"pad": "x" * 20000})
        assert store.get_record("done", KEY) is None
