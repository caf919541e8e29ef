# SPDX-License-Identifier: Apache-2.0
"""Every option of a key sheet (``synthfx sheet pack``, the PackSheet call, the Key Sheet node),
validated, with its help text, default and range (``synthfx.schema``)."""

from __future__ import annotations

from dataclasses import dataclass

from synthfx.errors import InputError
from synthfx.schema import option, options_of, problem

# Pixels of plate around the matte's box: patches at the object's edge need some context.
DEFAULT_MARGIN = 16
# 16 x 16 = 256 keys: far more than a shot needs, and a sheet of them is still one image.
MAX_GRID = 16
# Largest cell side: a 4K plate's width, so an uncropped UHD key fits unscaled.
MAX_CELL = 8192
_SHEET = "sheet"


@dataclass(frozen=True)
class SheetOptions:
    """Options of one key sheet.

    ``grid`` None (the CLI without --grid) takes the smallest square that holds a key list;
    ``keys`` "auto" needs a grid. ``cell_width`` and ``cell_height`` 0: the largest crop's.
    """

    grid: int | None = option(
        3,
        help="N: the sheet holds N x N keys (N columns with a list of Keys).",
        label="Grid", param="grid", page=_SHEET, minimum=1, maximum=MAX_GRID, display=(1, 6),
    )  # fmt: skip
    keys: str = option(
        "auto",
        help="auto: N x N frames spread evenly over the shot, first and last included; or the "
        "key frames as a list, e.g. 1001,1040,1080.",
        label="Keys", param="keys", page=_SHEET,
    )  # fmt: skip
    crop_to_matte: bool = option(
        False,
        help="Crop each key to its matte's bounding box plus Margin, so the object fills its "
        "cell.",
        label="Crop To Matte", param="cropToMatte", page=_SHEET,
    )  # fmt: skip
    margin: int = option(
        DEFAULT_MARGIN,
        help="Pixels of plate kept around the matte's box when cropping (patches at the "
        "object's edge need some context).",
        label="Margin", param="margin", page=_SHEET, minimum=0, display=(0, 64),
    )  # fmt: skip
    cell_width: int = option(
        0,
        help="Width of one sheet cell in pixels; every crop is scaled alike to fit and centred. "
        "0: the plate's width, or the widest crop's when cropping (nothing resampled); the Key "
        "Sheet node uses the Source's width then, since a host asks for the sheet's size before "
        "any frame is read.",
        label="Cell Width", param="cellWidth", page=_SHEET, minimum=0, maximum=MAX_CELL,
        display=(0, 4096),
    )  # fmt: skip
    cell_height: int = option(
        0,
        help="Height of one sheet cell in pixels (see Cell Width). 0: the plate's height, or the "
        "tallest crop's when cropping.",
        label="Cell Height", param="cellHeight", page=_SHEET, minimum=0, maximum=MAX_CELL,
        display=(0, 4096),
    )  # fmt: skip

    def __post_init__(self) -> None:
        for opt in options_of(SheetOptions):
            message = problem(opt, getattr(self, opt.name))
            if message:
                raise InputError(message)
        if (self.cell_width == 0) != (self.cell_height == 0):
            raise InputError(
                f"cell_width and cell_height go together (both 0: the largest crop), got "
                f"{self.cell_width}x{self.cell_height}"
            )

    @property
    def cell_size(self) -> tuple[int, int] | None:
        """(width, height) of a cell, or None for the largest crop's."""
        return (self.cell_width, self.cell_height) if self.cell_width else None
