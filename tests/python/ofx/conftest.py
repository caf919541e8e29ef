# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the OFX tests: the built bundle, a real ``synthfx serve``, and a small shot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ofx_testing import BUILD, BUNDLE, FRAMES, HOST, KEYS, Backend, start_backend
from service_testing import paint, synthetic_shot


@pytest.fixture(scope="session")
def bundle() -> Path:
    if not (BUNDLE / "Contents" / "Linux-x86-64" / "synthfx.ofx").is_file() or not HOST.is_file():
        pytest.fail(f"OFX bundle or test host missing under {BUILD}: run `make cpp-test` first")
    return BUNDLE


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One backend shared by a module's tests (they leave nothing behind but cache)."""
    server = start_backend(tmp_path_factory.mktemp("backend"))
    yield server
    server.kill()


@pytest.fixture(scope="module")
def shot() -> dict[int, np.ndarray]:
    return synthetic_shot(FRAMES)


@pytest.fixture(scope="module")
def keys(shot: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    return {k: paint(shot[k], i) for i, k in enumerate(KEYS)}
