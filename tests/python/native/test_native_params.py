# SPDX-License-Identifier: Apache-2.0
"""SynthesisParams (the schema) agrees with the native engine: its defaults are synthesis.h's,
its enum values the binding's, and its ranges what the engine accepts."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from synthfx.engine import SynthesisParams, check_params
from synthfx.errors import EngineError
from synthfx.schema import options_of

HEADER = Path(__file__).resolve().parents[3] / "native" / "include" / "synthfx" / "synthesis.h"
# synthesis.h's enumerator names that Python spells differently.
_NATIVE_NAMES = {"automatic": "auto"}


def _native_struct() -> dict[str, str]:
    """Field -> default initializer text of ``struct SynthesisParams`` in synthesis.h."""
    body = re.search(r"struct SynthesisParams \{(.*?)\};", HEADER.read_text(), re.S)
    assert body, f"no struct SynthesisParams in {HEADER}"
    return dict(re.findall(r"^\s*[\w:]+\s+(\w+)\s*=\s*([^;]+);", body.group(1), re.M))


def _native_enum(name: str) -> dict[str, int]:
    body = re.search(rf"enum class {name} : int \{{(.*?)\}};", HEADER.read_text(), re.S)
    assert body, f"no enum {name} in {HEADER}"
    return {_NATIVE_NAMES.get(k, k): int(v) for k, v in re.findall(r"(\w+) = (\d+)", body.group(1))}


def test_defaults_match_synthesis_h() -> None:
    native = _native_struct()
    defaults = SynthesisParams()
    assert set(native) == {f.name for f in dataclasses.fields(SynthesisParams)}
    for opt in options_of(SynthesisParams):
        text, value = native[opt.name], getattr(defaults, opt.name)
        if opt.choices is not None:
            assert _NATIVE_NAMES.get(text.split("::")[-1], text.split("::")[-1]) == value, opt.name
        elif opt.kind is bool:
            assert text == str(value).lower(), opt.name
        else:
            assert float(text.rstrip("f")) == value, opt.name


@pytest.mark.parametrize(("field", "enum"), [("vote_mode", "VoteMode"), ("backend", "BackendKind")])
def test_choices_are_the_native_enum(field: str, enum: str) -> None:
    (opt,) = [o for o in options_of(SynthesisParams) if o.name == field]
    assert opt.choices is not None
    assert _native_enum(enum) == {choice: i for i, choice in enumerate(opt.choices)}


def _accepted(**values: object) -> bool:
    try:
        check_params(dataclasses.replace(SynthesisParams(), **values))
    except EngineError:
        return False
    return True


def test_ranges_are_what_the_engine_accepts() -> None:
    for opt in options_of(SynthesisParams):
        info, name = opt.info, opt.name
        if opt.kind not in (int, float):
            continue
        step = 1 if opt.kind is int else 1e-3
        if info.minimum is not None:
            assert _accepted(**{name: opt.kind(info.minimum)}), name
            assert not _accepted(**{name: opt.kind(info.minimum - step)}), name
        if info.maximum is not None:
            assert _accepted(**{name: info.maximum}), name
            assert not _accepted(**{name: info.maximum + (2 if info.odd else step)}), name
        if info.odd:
            assert not _accepted(**{name: int(info.minimum or 1) + 1}), name
        if opt.kind is float:
            assert not _accepted(**{name: math.inf}) and not _accepted(**{name: math.nan}), name
    # Beyond the schema's minimum: pyramid_levels has a hole at 0 (-1 means as many as fit).
    assert not _accepted(pyramid_levels=0)
