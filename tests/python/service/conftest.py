# SPDX-License-Identifier: Apache-2.0
"""Real ``synthfx serve`` processes on loopback, and a small synthetic shot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from service_testing import ServerProcess, start_server


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
