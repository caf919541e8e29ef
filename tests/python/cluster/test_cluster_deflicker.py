# SPDX-License-Identifier: Apache-2.0
"""``synthfx deflicker --cluster``: chunks of frames on a local Ray equal the local run."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_testing import FIRST, LAST, finish, start_synthfx
from synthfx.cli import main
from synthfx.io import read_image

pytest.importorskip("ray", reason="the [ray] extra is not installed")


def deflicker_args(shot: Path, out: Path, *extra: str) -> list[str]:
    return [
        "deflicker", "--frames", str(shot / "f.####.exr"), "--guide", str(shot / "f.####.exr"),
        "--out", str(out / "d.####.exr"), "--dtype", "float", "--window", "2",
        "--search-vote-iters", "3", "--patchmatch-iters", "2", "--quiet", "--json", *extra,
    ]  # fmt: skip


def test_chunks_on_two_workers_equal_the_local_run(shot: Path, tmp_path: Path) -> None:
    assert main(deflicker_args(shot, tmp_path / "local")) == 0
    cluster = ("--cluster", "ray:auto", "--workers", "2", "--chunk-frames", "3")
    code, report, err = finish(start_synthfx(deflicker_args(shot, tmp_path / "ray", *cluster)))
    assert code == 0, err
    assert (report["written"], report["remaps"], report["retried"]) == (10, 0, [])
    for frame in range(FIRST, LAST + 1):
        local = read_image(tmp_path / "local" / f"d.{frame:04d}.exr").pixels
        remote = read_image(tmp_path / "ray" / f"d.{frame:04d}.exr").pixels
        assert remote.tobytes() == local.tobytes(), f"frame {frame} differs"
