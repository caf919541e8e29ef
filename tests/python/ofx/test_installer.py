# SPDX-License-Identifier: Apache-2.0
"""installers/linux/install.sh into temporary locations, then the installed bundle in a host."""

from __future__ import annotations

import sys
from pathlib import Path

from ofx_testing import install_bundle as _install
from ofx_testing import run_host


def test_smoke(bundle: Path, tmp_path: Path) -> None:
    done = _install(bundle, tmp_path)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "plugins" / "synthfx.ofx.bundle"
    command = (installed / "Contents" / "Resources" / "backend_command").read_text().strip()
    assert command == str(Path(sys.executable).parent / "synthfx")
    unit = (tmp_path / "systemd" / "synthfx.service").read_text()
    assert f"ExecStart={command} serve --listen unix:%t/synthfx/backend.sock" in unit
    assert "OFX_PLUGIN_PATH" in done.stdout
    run = run_host(installed, "--plugin", "org.synthfx.Stylize", "--describe")
    assert run.returncode == 0 and run.of("effect")

    removed = _install(bundle, tmp_path, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not installed.exists() and not (tmp_path / "systemd" / "synthfx.service").exists()


def test_exception_missing_bundle(tmp_path: Path) -> None:
    done = _install(tmp_path / "nowhere.bundle", tmp_path)
    assert done.returncode == 1
    assert "no built bundle" in done.stderr
