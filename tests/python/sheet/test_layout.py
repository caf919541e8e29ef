# SPDX-License-Identifier: Apache-2.0
"""The layout JSON: round trip, and strict errors that name the bad field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from synthfx.errors import InputError
from synthfx.sheet import (
    LAYOUT_VERSION,
    Box,
    SheetLayout,
    layout_from_dict,
    layout_to_dict,
    plan_layout,
    read_layout,
    write_layout,
)


@pytest.fixture
def layout() -> SheetLayout:
    crops = {
        1001: Box(10, 4, 50, 40),
        1004: Box(30, 0, 60, 72),
        1006: Box(0, 20, 128, 30),
    }
    return plan_layout([1001, 1004, 1006], (128, 72), 2, crops=crops, cell_size=(96, 64))


def test_round_trip(layout: SheetLayout, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "sheet.json"
    write_layout(path, layout)
    again = read_layout(path)
    assert again == layout
    values = json.loads(path.read_text())
    assert values["version"] == LAYOUT_VERSION
    assert values["cells"][1]["crop"] == {"x": 30, "y": 0, "width": 60, "height": 72}
    assert (again.sheet_width, again.sheet_height) == (192, 128)  # 2 columns, 2 rows of 96x64


def _broken(values: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy with the field at ``path`` set to ``value`` (or removed, for ``...``)."""
    broken = copy.deepcopy(values)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    "path,value,message",
    [
        (("version",), 2, r"version: layout version 2 is not supported .*reads version 1"),
        (("version",), ..., r"version: missing"),
        (("plate",), ..., r"^plate: missing"),
        (("extra",), 1, r"^extra: unknown field"),
        (("plate", "width"), "128", r"plate\.width: expected an integer, got \"128\""),
        (("plate", "height"), 0, r"plate\.height must be at least 1, got 0"),
        (("grid", "rows"), True, r"grid\.rows: expected an integer, got true"),
        (("cells",), {}, r"cells: expected a list"),
        (("cells",), [], r"cells: the sheet holds no cell"),
        (("cells", 1, "crop", "width"), 200, r"cells\[1\]\.crop: 200x72 at \(30, 0\) is outside"),
        (("cells", 2, "placed", "x"), -1, r"cells\[2\]\.placed: .* is outside the 96x64"),
        (("cells", 0, "scale"), 0, r"cells\[0\]\.scale must be a positive number"),
        (("cells", 0, "scale"), "big", r"cells\[0\]\.scale: expected a number"),
        (("cells", 2, "frame"), 1001, r"cells\[2\]\.frame: frame 1001 is in two cells"),
        (("cells", 2, "column"), 5, r"cells\[2\]: column 5, row 1 is outside the 2x2 grid"),
        (("cells", 2, "row"), 0, r"cells\[2\]: column 0, row 0 holds two cells"),
        (("cells", 0, "crop", "x"), ..., r"cells\[0\]\.crop\.x: missing"),
        (("cells", 0, "colour"), "red", r"cells\[0\]\.colour: unknown field"),
    ],
)
def test_exception(layout: SheetLayout, path: tuple[Any, ...], value: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        layout_from_dict(_broken(layout_to_dict(layout), path, value))


def test_file_exception(layout: SheetLayout, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"layout file not found: .*missing\.json"):
        read_layout(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "version": 1,\n  "plate": \n}\n')
    with pytest.raises(InputError, match=r"bad\.json is not valid JSON: .* line 4"):
        read_layout(bad)
    wrong = tmp_path / "wrong.json"
    values = _broken(layout_to_dict(layout), ("cell", "width"), 1.5)
    wrong.write_text(json.dumps(values))
    with pytest.raises(InputError, match=r"wrong\.json: cell\.width: expected an integer"):
        read_layout(wrong)
