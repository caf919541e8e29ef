# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the OFX tests: the built bundle, a real ``synthfx serve``, and a small shot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ofx_testing import (
    BUILD,
    BUNDLE,
    FRAMES,
    HOST,
    KEYS,
    OFFICIAL_BUILD,
    OFFICIAL_BUNDLE,
    OFFICIAL_HEADERS,
    Backend,
    start_backend,
    write_sequence,
)
from service_testing import paint, synthetic_shot


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test of a bundle runs on both: ours ("ours") and the official headers' ("official")."""
    if "bundle" in metafunc.fixturenames:
        metafunc.parametrize("bundle", ["ours", "official"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def bundle(request: pytest.FixtureRequest) -> Path:
    """The bundle built with our OFX declarations, or (param "official") the official headers."""
    if not HOST.is_file():
        pytest.fail(f"OFX test host missing under {BUILD}: run `make cpp-test` first")
    if getattr(request, "param", "ours") == "ours":
        found, build = BUNDLE, BUILD
    else:
        if not OFFICIAL_HEADERS.is_dir():
            pytest.skip(f"no official OpenFX headers at {OFFICIAL_HEADERS} (CI has ../shared)")
        found, build = OFFICIAL_BUNDLE, OFFICIAL_BUILD
        cache = build / "CMakeCache.txt"
        lines = cache.read_text().splitlines() if cache.is_file() else []
        headers = [ln.split("=", 1)[1] for ln in lines if ln.startswith("SYNTHFX_OFX_HEADERS:")]
        # A stale or hand-made build dir would otherwise test our declarations twice.
        assert headers and Path(headers[0]).resolve() == OFFICIAL_HEADERS.resolve(), (
            f"{build} is not configured with the official headers: run `make cpp-test`"
        )
    if not (found / "Contents" / "Linux-x86-64" / "synthfx.ofx").is_file():
        pytest.fail(f"OFX bundle missing under {build}: run `make cpp-test` first")
    return found


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


@pytest.fixture(scope="module")
def clips(
    tmp_path_factory: pytest.TempPathFactory,
    shot: dict[int, np.ndarray],
    keys: dict[int, np.ndarray],
) -> dict[str, str]:
    """The shot and its painted keys as EXR sequences: the Source and Style clips."""
    root = tmp_path_factory.mktemp("clips")
    return {"Source": write_sequence(root / "source", shot),
            "Style": write_sequence(root / "style", keys)}  # fmt: skip
