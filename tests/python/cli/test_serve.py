# SPDX-License-Identifier: Apache-2.0
"""``synthfx serve``: bad arguments are refused with one line and status 2, before serving."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from synthfx.cli import main


@pytest.fixture(autouse=True)
def no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arguments that pass the checks would serve forever: fail the test instead."""

    def serve(config, ready_file=None) -> None:
        raise AssertionError(f"would serve with {config}")

    monkeypatch.setattr("synthfx.service.server.serve", serve)
    # configure() would leave its JSON handler on the "synthfx" logger for later tests.
    monkeypatch.setattr("synthfx.service.logs.configure", lambda level: None)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--listen", "garbage"], r"--listen 'garbage': expected HOST:PORT with a port 0-65535"),
        (["--listen", "127.0.0.1:99999"], r"--listen '127\.0\.0\.1:99999': expected HOST:PORT"),
        (["--listen", "127.0.0.1:-1"], r"--listen '127\.0\.0\.1:-1': expected HOST:PORT"),
        (["--listen", "unix:"], "--listen unix: needs the socket path"),
        (["--frame-store-mb", "-5"], "--frame-store-mb must be >= 0, got -5"),
        (["--cache-limit-mb", "-1"], "--cache-limit-mb must be >= 0, got -1"),
        (["--frame-disk-mb", "-1"], "--frame-disk-mb must be >= 0, got -1"),
        (["--max-sessions", "0"], "--max-sessions must be >= 1, got 0"),
        (["--cache-dir", "{file}"], r"--cache-dir .*file is not a directory"),
        (["--cache-dir", "{file}/sub"], r"--cache-dir .*file/sub: cannot create .*Not a directory"),
    ],
)
def test_exception_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    (tmp_path / "file").write_text("not a directory")
    extra = [arg.replace("{file}", str(tmp_path / "file")) for arg in extra]
    status = main(["serve", "--listen", "127.0.0.1:0", "--cache-dir", str(tmp_path / "c"), *extra])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("synthfx serve: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_exception_cache_dir_not_writable(tmp_path: Path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["serve", "--listen", "127.0.0.1:0", "--cache-dir", str(locked)]) == 2
    finally:
        locked.chmod(0o700)
    assert re.search(r"--cache-dir .*locked is not writable", capsys.readouterr().err)
