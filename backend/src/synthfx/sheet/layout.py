# SPDX-License-Identifier: Apache-2.0
"""Where each keyframe sits in a key sheet, and the JSON file that records it.

Coordinates are pixels, origin top left, x right, y down; a box's end is exclusive
(``x + width``). The JSON is strict: unknown or missing fields, wrong types and boxes outside
the plate or cell are errors that name the field (``cells[2].crop.width``), so a layout edited
by hand fails when it is read, never halfway through an unpack.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthfx.errors import InputError
from synthfx.io.atomic import atomic_path

# Bump when a field changes meaning or a required field is added; readers refuse other versions.
LAYOUT_VERSION = 1


@dataclass(frozen=True)
class Box:
    """An axis-aligned pixel rectangle, ``[x, x + width) x [y, y + height)``."""

    x: int
    y: int
    width: int
    height: int

    @property
    def x1(self) -> int:
        return self.x + self.width

    @property
    def y1(self) -> int:
        return self.y + self.height

    def inside(self, width: int, height: int) -> bool:
        """Whether the box lies within a ``width`` x ``height`` image."""
        return self.x >= 0 and self.y >= 0 and self.x1 <= width and self.y1 <= height

    def __str__(self) -> str:
        return f"{self.width}x{self.height} at ({self.x}, {self.y})"


@dataclass(frozen=True)
class Cell:
    """One keyframe of the sheet.

    Attributes:
        frame: the plate frame number the cell holds.
        column: the cell's column in the grid (0 = left).
        row: the cell's row in the grid (0 = top).
        crop: the part of the plate frame in the cell, in plate pixels.
        placed: where the resampled crop lies inside the cell, in cell pixels (the rest of the
            cell is letterbox); its size is the crop's times ``scale``, rounded.
        scale: cell pixels per plate pixel.
    """

    frame: int
    column: int
    row: int
    crop: Box
    placed: Box
    scale: float

    @property
    def resampled(self) -> bool:
        """Whether the crop is resized on its way into the cell (else it is copied exactly)."""
        return (self.placed.width, self.placed.height) != (self.crop.width, self.crop.height)


@dataclass(frozen=True)
class SheetLayout:
    """A key sheet: a grid of equal cells, each holding one (cropped, scaled) plate frame.

    Attributes:
        plate_width: width of the plate frames in pixels.
        plate_height: height of the plate frames in pixels.
        columns: cells per row.
        rows: rows of cells.
        cell_width: width of one cell in sheet pixels.
        cell_height: height of one cell in sheet pixels.
        cells: the cells, in frame order.
    """

    plate_width: int
    plate_height: int
    columns: int
    rows: int
    cell_width: int
    cell_height: int
    cells: tuple[Cell, ...]

    def __post_init__(self) -> None:
        problem = _layout_problem(self)
        if problem:
            raise InputError(f"invalid key sheet layout: {problem}")

    @property
    def sheet_width(self) -> int:
        return self.columns * self.cell_width

    @property
    def sheet_height(self) -> int:
        return self.rows * self.cell_height

    @property
    def frames(self) -> tuple[int, ...]:
        return tuple(cell.frame for cell in self.cells)

    @property
    def crops_plate(self) -> bool:
        """Whether some cell holds less than the whole plate frame (unpacked keys get alpha)."""
        return any(
            (c.crop.x, c.crop.y, c.crop.width, c.crop.height)
            != (0, 0, self.plate_width, self.plate_height)
            for c in self.cells
        )

    def cell_origin(self, cell: Cell) -> tuple[int, int]:
        """(x, y) of the cell's top-left corner in the sheet."""
        return cell.column * self.cell_width, cell.row * self.cell_height

    def describe_sheet(self) -> str:
        """``"256x144 (2x2 cells of 128x72)"``, for messages."""
        return (
            f"{self.sheet_width}x{self.sheet_height} ({self.columns}x{self.rows} cells of "
            f"{self.cell_width}x{self.cell_height})"
        )


def _layout_problem(layout: SheetLayout) -> str | None:
    """What is wrong with a layout's values, or None (field names as in the JSON)."""
    for name in ("plate_width", "plate_height", "columns", "rows", "cell_width", "cell_height"):
        value = getattr(layout, name)
        if value < 1:
            return f"{_json_name(name)} must be at least 1, got {value}"
    if not layout.cells:
        return "cells: the sheet holds no cell"
    if len(layout.cells) > layout.columns * layout.rows:
        return f"cells: {len(layout.cells)} cells do not fit {layout.columns}x{layout.rows}"
    frames: set[int] = set()
    places: set[tuple[int, int]] = set()
    for index, cell in enumerate(layout.cells):
        where = f"cells[{index}]"
        if cell.frame in frames:
            return f"{where}.frame: frame {cell.frame} is in two cells"
        frames.add(cell.frame)
        if not (0 <= cell.column < layout.columns and 0 <= cell.row < layout.rows):
            return (
                f"{where}: column {cell.column}, row {cell.row} is outside the "
                f"{layout.columns}x{layout.rows} grid"
            )
        if (cell.column, cell.row) in places:
            return f"{where}: column {cell.column}, row {cell.row} holds two cells"
        places.add((cell.column, cell.row))
        for box_name, box, width, height in (
            ("crop", cell.crop, layout.plate_width, layout.plate_height),
            ("placed", cell.placed, layout.cell_width, layout.cell_height),
        ):
            if box.width < 1 or box.height < 1:
                return f"{where}.{box_name}: empty box {box.width}x{box.height}"
            if not box.inside(width, height):
                return f"{where}.{box_name}: {box} is outside the {width}x{height} image"
        if not (math.isfinite(cell.scale) and cell.scale > 0):
            return f"{where}.scale must be a positive number, got {cell.scale}"
    return None


_JSON_NAMES = {
    "plate_width": "plate.width",
    "plate_height": "plate.height",
    "columns": "grid.columns",
    "rows": "grid.rows",
    "cell_width": "cell.width",
    "cell_height": "cell.height",
}


def _json_name(name: str) -> str:
    return _JSON_NAMES.get(name, name)


def _box_dict(box: Box) -> dict[str, int]:
    return {"x": box.x, "y": box.y, "width": box.width, "height": box.height}


def layout_to_dict(layout: SheetLayout) -> dict[str, Any]:
    """The JSON form of a layout (``layout_from_dict`` inverts it)."""
    return {
        "version": LAYOUT_VERSION,
        "plate": {"width": layout.plate_width, "height": layout.plate_height},
        "grid": {"columns": layout.columns, "rows": layout.rows},
        "cell": {"width": layout.cell_width, "height": layout.cell_height},
        "cells": [
            {
                "frame": cell.frame,
                "column": cell.column,
                "row": cell.row,
                "crop": _box_dict(cell.crop),
                "placed": _box_dict(cell.placed),
                "scale": cell.scale,
            }
            for cell in layout.cells
        ],
    }


def _fields(value: Any, where: str, names: tuple[str, ...]) -> dict[str, Any]:
    """``value`` as a dict with exactly the keys ``names``; errors name the object and key."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object, got {type(value).__name__}")
    prefix = f"{where}." if where else ""
    missing = [name for name in names if name not in value]
    if missing:
        raise InputError(f"{prefix}{missing[0]}: missing")
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise InputError(f"{prefix}{unknown[0]}: unknown field (expected {', '.join(names)})")
    return value


def _int(value: Any, where: str) -> int:
    # bool is an int in Python; true/false in a layout is a typo, not 1/0.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: expected an integer, got {json.dumps(value)}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number, got {json.dumps(value)}")
    return float(value)


def _box(value: Any, where: str) -> Box:
    fields = _fields(value, where, ("x", "y", "width", "height"))
    return Box(*(_int(fields[name], f"{where}.{name}") for name in ("x", "y", "width", "height")))


def _size(value: Any, where: str, names: tuple[str, str]) -> tuple[int, int]:
    fields = _fields(value, where, names)
    first, second = (_int(fields[name], f"{where}.{name}") for name in names)
    return first, second


def layout_from_dict(values: Any) -> SheetLayout:
    """A layout from its JSON form.

    Raises:
        InputError: another version, a missing, unknown or mistyped field, or values that do not
            make a layout (boxes outside the plate or cell, a frame twice); names the field.
    """
    if not isinstance(values, dict):
        raise InputError(f"expected a JSON object, got {type(values).__name__}")
    if "version" not in values:
        raise InputError("version: missing (is this a synthfx key sheet layout?)")
    version = _int(values["version"], "version")
    if version != LAYOUT_VERSION:
        raise InputError(
            f"version: layout version {version} is not supported "
            f"(this synthfx reads version {LAYOUT_VERSION})"
        )
    top = _fields(values, "", ("version", "plate", "grid", "cell", "cells"))
    plate = _size(top["plate"], "plate", ("width", "height"))
    grid = _size(top["grid"], "grid", ("columns", "rows"))
    cell_size = _size(top["cell"], "cell", ("width", "height"))
    if not isinstance(top["cells"], list):
        raise InputError(f"cells: expected a list, got {type(top['cells']).__name__}")
    cells = []
    for index, item in enumerate(top["cells"]):
        where = f"cells[{index}]"
        fields = _fields(item, where, ("frame", "column", "row", "crop", "placed", "scale"))
        cells.append(
            Cell(
                frame=_int(fields["frame"], f"{where}.frame"),
                column=_int(fields["column"], f"{where}.column"),
                row=_int(fields["row"], f"{where}.row"),
                crop=_box(fields["crop"], f"{where}.crop"),
                placed=_box(fields["placed"], f"{where}.placed"),
                scale=_number(fields["scale"], f"{where}.scale"),
            )
        )
    return SheetLayout(
        plate_width=plate[0],
        plate_height=plate[1],
        columns=grid[0],
        rows=grid[1],
        cell_width=cell_size[0],
        cell_height=cell_size[1],
        cells=tuple(cells),
    )


def layout_text(layout: SheetLayout) -> str:
    """The layout's JSON text, as ``write_layout`` writes it (and PackSheet returns it)."""
    return json.dumps(layout_to_dict(layout), indent=2) + "\n"


def parse_layout(text: str, what: str = "the layout") -> SheetLayout:
    """A layout from its JSON text (``layout_text``); messages start with ``what``.

    Raises:
        InputError: bad JSON (with its line) or an invalid layout (names the field).
    """
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    try:
        return layout_from_dict(values)
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None


def write_layout(path: str | os.PathLike[str], layout: SheetLayout) -> None:
    """Writes the layout as JSON, atomically.

    Raises:
        InputError: the file cannot be written (names the path).
    """
    path = Path(path)
    text = layout_text(layout)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            Path(temporary).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write layout {path}: {exc.strerror or exc}") from None


def read_layout(path: str | os.PathLike[str]) -> SheetLayout:
    """Reads a layout written by ``write_layout`` (or by hand, in the same form).

    Raises:
        InputError: a missing or unreadable file, bad JSON (with its line) or an invalid layout;
            the message names the file and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"layout file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read layout {path}: {exc}") from None
    return parse_layout(text, f"layout {path}")
