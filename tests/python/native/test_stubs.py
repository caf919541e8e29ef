# SPDX-License-Identifier: Apache-2.0
"""The binding's generated typing stub matches the committed reference.

The build writes synthfx/_native.pyi from the module itself (nanobind's stubgen); the type checker
reads it. A binding change that is not reflected in native/python/_native.pyi.ref fails here.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import synthfx._native

REFERENCE = Path(__file__).resolve().parents[3] / "native" / "python" / "_native.pyi.ref"


def test_stub_matches_reference() -> None:
    generated = Path(synthfx._native.__file__).with_name("_native.pyi")
    assert generated.is_file(), f"no generated stub at {generated}: rebuild (make build)"
    got = generated.read_text().splitlines(keepends=True)
    want = REFERENCE.read_text().splitlines(keepends=True)
    diff = "".join(difflib.unified_diff(want, got, str(REFERENCE), str(generated)))
    assert not diff, f"the binding changed: make stubs-ref updates the reference\n{diff}"
