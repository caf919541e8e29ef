# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from pathlib import Path

import pytest

from synthfx.io.atomic import atomic_path, temporary_sibling


def test_smoke(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "frame.0001.exr"
    with atomic_path(target) as temporary:
        assert temporary.parent == target.parent
        assert not target.exists()
        temporary.write_bytes(b"complete")
    assert target.read_bytes() == b"complete"
    assert sorted(p.name for p in target.parent.iterdir()) == ["frame.0001.exr"]


def test_temporary_sibling_hidden_keeps_extension(tmp_path: Path) -> None:
    target = tmp_path / "f.0001.exr"
    first, second = temporary_sibling(target), temporary_sibling(target)
    assert first.name.startswith(".") and first.suffix == ".exr"
    assert first != second


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_interrupted_write_keeps_old_file(
    tmp_path: Path, interruption: type[BaseException]
) -> None:
    target = tmp_path / "f.0001.png"
    target.write_bytes(b"old frame")
    with pytest.raises(interruption), atomic_path(target) as temporary:
        temporary.write_bytes(b"half a fra")
        raise interruption()
    assert target.read_bytes() == b"old frame"
    assert [p.name for p in tmp_path.iterdir()] == ["f.0001.png"]
