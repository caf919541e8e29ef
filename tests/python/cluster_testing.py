# SPDX-License-Identifier: Apache-2.0
"""Helpers of the cluster tests: the small 3-segment shot's arguments, its outputs, and
``synthfx`` run as its own process (so the local Ray that ``--cluster ray:auto`` starts is
stopped with it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from synthfx.io import read_image

# The service tests' helpers (``service_testing``: a real ``synthfx serve``) for serve --cluster.
sys.path.insert(0, str(Path(__file__).parent / "service"))

FIRST, LAST = 1001, 1010
KEYS = (1001, 1005, 1009)  # segments 1001-1005, 1005-1009, 1009-1010: 5 passes
SIZE = (160, 90)
# Each ray:auto run starts Ray (seconds) before any work: a run that takes this long is stuck.
RUN_TIMEOUT_S = 180


def stylize_args(shot: Path, out: Path, *extra: str) -> list[str]:
    keys = [arg for key in KEYS for arg in ("--key", f"{key}={shot / f'k.{key}.exr'}")]
    return [
        "stylize", "--frames", str(shot / "f.####.exr"), "--range", f"{FIRST}-{LAST}", *keys,
        "--out", str(out / "s.####.exr"), "--dtype", "float", "--quiet", "--json", *extra,
    ]  # fmt: skip


def read_outputs(out: Path) -> dict[int, np.ndarray]:
    return {f: read_image(out / f"s.{f:04d}.exr").pixels for f in range(FIRST, LAST + 1)}


def start_synthfx(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "synthfx.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, dict, str]:
    """(exit status, the JSON report on stdout's last line or {}, stderr)."""
    out, err = process.communicate(timeout=RUN_TIMEOUT_S)
    lines = out.strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return process.returncode, report, err
