# SPDX-License-Identifier: Apache-2.0
"""The server depends on the shared transport, never on its own client."""

from __future__ import annotations

import subprocess
import sys


def _modules_loaded_by(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_server_loads_no_client_module() -> None:
    loaded = _modules_loaded_by("synthfx.service.server")
    assert "synthfx.transport.wire" in loaded  # the check below looks at the right process
    assert not {name for name in loaded if name.startswith("synthfx.client")}


def test_transport_loads_neither_side() -> None:
    loaded = _modules_loaded_by("synthfx.transport.wire")
    loaded |= _modules_loaded_by("synthfx.transport.shm")
    assert not {n for n in loaded if n.startswith(("synthfx.client", "synthfx.service"))}
