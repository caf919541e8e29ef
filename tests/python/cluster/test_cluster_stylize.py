# SPDX-License-Identifier: Apache-2.0
"""``synthfx stylize --cluster``: a shot's passes on a local Ray, equal to the local run bit for
bit, surviving a worker killed mid-shot; and the one-line error without Ray."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cluster_testing import finish, read_outputs, start_synthfx, stylize_args
from synthfx.cli import main
from synthfx.cluster import MISSING_RAY

pytest.importorskip("ray", reason="the [ray] extra is not installed")

TWO_WORKERS = ("--cluster", "ray:auto", "--workers", "2", "--task-cpus", "1")
RETRIED = re.compile(
    r"pass \d \((forward|reverse) from key \d+, frames \d+-\d+\) lost its worker "
    r"\(WorkerCrashedError\); running it again, retry 1 of 3"
)


def assert_same(render: dict[int, np.ndarray], reference: dict[int, np.ndarray]) -> None:
    assert render.keys() == reference.keys()
    for frame, pixels in reference.items():
        assert render[frame].tobytes() == pixels.tobytes(), f"frame {frame} differs"


def test_two_workers_equal_the_local_run(shot: Path, tmp_path: Path, local_render) -> None:
    code, report, err = finish(start_synthfx(stylize_args(shot, tmp_path, *TWO_WORKERS)))
    assert code == 0, err
    assert report["written"] == 10 and report["cluster"] == "ray:auto"
    assert report["retried"] == []
    assert_same(read_outputs(tmp_path), local_render)


def _ray_tasks_under(root: int) -> list[int]:
    """Processes below ``root`` running a pass (Ray titles a busy worker ray::<function>)."""
    parents: dict[int, int] = {}
    running = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        if command.startswith(b"ray::synthesize_pass"):
            running.append(int(entry))

    def below(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == root:
                return True
        return False

    return [pid for pid in running if below(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds workers in /proc")
def test_a_worker_killed_mid_shot_is_retried(shot: Path, tmp_path: Path, local_render) -> None:
    process = start_synthfx(stylize_args(shot, tmp_path, *TWO_WORKERS))
    deadline = time.monotonic() + 60
    killed = None
    while killed is None and time.monotonic() < deadline and process.poll() is None:
        busy = _ray_tasks_under(process.pid)
        if busy:
            killed = busy[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.01)
    code, report, err = finish(process)
    assert killed is not None, f"no pass seen running: {err}"
    assert code == 0, err
    assert RETRIED.search(err), err
    assert len(report["retried"]) == 1 and RETRIED.search(report["retried"][0])
    assert_same(read_outputs(tmp_path), local_render)
    entries = [p for p in (tmp_path / ".synthfx").rglob("*.npy") if not p.name.startswith(".")]
    assert entries
    for entry in entries:  # every entry is whole: a kill mid-write leaves a hidden temporary
        assert np.load(entry, allow_pickle=False).dtype == np.float32


def test_without_ray_the_flag_says_how_to_install_it(
    shot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    assert main(stylize_args(shot, tmp_path, "--cluster", "ray:auto")) == 2
    err = capsys.readouterr().err
    assert err == f"synthfx stylize: error: {MISSING_RAY}\n"
    assert MISSING_RAY == "--cluster needs Ray, which is not installed: pip install 'synthfx[ray]'"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("dask", "--cluster 'dask': expected ray, ray:auto or ray:HOST:PORT"),
        ("ray:head", "--cluster 'ray:head': expected ray, ray:auto or ray:HOST:PORT"),
        ("ray:head:99999", "--cluster 'ray:head:99999': expected ray, ray:auto or ray:HOST:PORT"),
    ],
)
def test_exception_bad_address(
    shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture, value: str, problem: str
) -> None:
    assert main(stylize_args(shot, tmp_path, "--cluster", value)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"synthfx stylize: error: {problem} (the head's address")
    assert err.count("\n") == 1


def test_exception_cluster_and_backend(shot: Path, tmp_path: Path, capsys) -> None:
    args = stylize_args(shot, tmp_path, "--cluster", "ray:auto", "--backend", "localhost:1")
    assert main(args) == 2
    err = capsys.readouterr().err
    message = "--cluster and --backend both say where to render: use one"
    assert err == f"synthfx stylize: error: {message}\n"
