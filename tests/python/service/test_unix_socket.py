# SPDX-License-Identifier: Apache-2.0
"""``unix:PATH``: one live server per socket path, stale sockets reclaimed after a crash."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthfx.client import BackendClient


def _serve(socket: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "synthfx.cli", "serve", "--listen", f"unix:{socket}",
         "--cache-dir", str(cache)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_serving(socket: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.stderr.read()}")
        try:
            BackendClient(f"unix:{socket}").info(timeout=2)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_second_server_on_a_socket_is_refused_and_crash_leftovers_are_reclaimed(
    tmp_path: Path,
) -> None:
    socket = tmp_path / "backend.sock"
    first = _serve(socket, tmp_path / "cache")
    try:
        _wait_serving(socket, first)
        second = _serve(socket, tmp_path / "cache")
        _, stderr = second.communicate(timeout=60)
        assert second.returncode == 2
        assert f"another synthfx serve (pid {first.pid}) is serving this socket" in stderr
        assert BackendClient(f"unix:{socket}").info(timeout=10).backend_version
        first.kill()  # kill -9: the socket file stays behind
        first.wait(timeout=30)
        assert socket.is_socket()
        third = _serve(socket, tmp_path / "cache")
        try:
            _wait_serving(socket, third)
        finally:
            _stop(third)
    finally:
        _stop(first)


def test_servers_started_together_leave_exactly_one(tmp_path: Path) -> None:
    socket = tmp_path / "backend.sock"
    processes = [_serve(socket, tmp_path / "cache") for _ in range(3)]
    try:
        deadline = time.monotonic() + 90
        while sum(p.poll() is None for p in processes) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        running = [p for p in processes if p.poll() is None]
        assert len(running) == 1
        _wait_serving(socket, running[0])
        for process in processes:
            if process is not running[0]:
                assert process.returncode == 2
                assert "is serving this socket" in process.stderr.read()
    finally:
        _stop(*processes)


def test_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    socket = tmp_path / "backend.sock"
    socket.write_text("not a socket")
    process = _serve(socket, tmp_path / "cache")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"{socket} exists and is not a socket" in stderr
    assert socket.read_text() == "not a socket"


@pytest.mark.parametrize("where", ["missing-dir/backend.sock"])
def test_an_unusable_directory_is_named(tmp_path: Path, where: str) -> None:
    process = _serve(tmp_path / where, tmp_path / "cache")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "cannot create" in stderr and "missing-dir" in stderr
