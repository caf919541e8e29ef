# SPDX-License-Identifier: Apache-2.0
"""Real ``synthfx serve`` processes on loopback, and a small synthetic shot."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STARTUP_TIMEOUT_S = 60.0


@dataclass
class ServerProcess:
    """A running ``synthfx serve``; ``address`` is where it listens."""

    process: subprocess.Popen
    address: str
    cache_dir: Path
    log_path: Path
    args: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """kill -9: no cleanup at all."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(directory: Path, cache_dir: Path, *args: str) -> ServerProcess:
    """Starts ``synthfx serve`` on a free loopback port and waits until it serves."""
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory / f"ready-{time.monotonic_ns()}"
    log_path = directory / f"serve-{time.monotonic_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "synthfx.cli",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--cache-dir",
        str(cache_dir),
        "--ready-file",
        str(ready),
        *args,
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"synthfx serve exited with {process.returncode}:\n{log_path.read_text()}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"synthfx serve did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return ServerProcess(process, ready.read_text().strip(), cache_dir, log_path, command)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Starts servers (default cache: tmp_path/cache); all are stopped at the end."""
    started: list[ServerProcess] = []

    def factory(*args: str, cache_dir: Path | None = None) -> ServerProcess:
        server = start_server(tmp_path / "servers", cache_dir or tmp_path / "cache", *args)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server shared by a module's tests (for tests that leave no state behind)."""
    directory = tmp_path_factory.mktemp("module-server")
    server = start_server(directory, directory / "cache")
    yield server
    server.stop()
