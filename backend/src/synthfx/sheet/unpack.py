# SPDX-License-Identifier: Apache-2.0
"""Cutting a styled key sheet back into keyframes at the plate's size and position.

Each cell's placed region is resampled back to its crop's size and put where the crop was.
Pixels outside the crop were never on the sheet, so they hold nothing: colour 0 and alpha 0
(premultiplied, the pipeline's convention for styles), and a layout that crops gives every key an
alpha channel (the sheet's own alpha inside the crop where it has one, else 1). Propagation
then carries that alpha, and ``stylize --mask`` cuts or composites the object as usual.
"""

from __future__ import annotations

import os

import numpy as np

from synthfx.errors import InputError
from synthfx.io.images import read_image
from synthfx.sheet.layout import SheetLayout, read_layout
from synthfx.sheet.resample import resize

# Channel counts a key may have (grey, grey+alpha, RGB, RGBA), as the pipeline accepts.
SHEET_CHANNELS = (1, 2, 3, 4)


def check_sheet(layout: SheetLayout, sheet: np.ndarray, what: str = "the styled sheet") -> None:
    """Raises InputError naming the expected size if ``sheet`` does not fit ``layout``."""
    height, width = sheet.shape[:2]
    if (width, height) != (layout.sheet_width, layout.sheet_height):
        raise InputError(
            f"{what} is {width}x{height}, the layout expects {layout.describe_sheet()}; "
            f"resize it back to {layout.sheet_width}x{layout.sheet_height} (or crop off any "
            "padding a tool added)"
        )
    if sheet.ndim != 3 or sheet.shape[2] not in SHEET_CHANNELS:
        raise InputError(
            f"{what} has {sheet.shape[2] if sheet.ndim == 3 else 1} channels; expected 1 (grey), "
            "2 (grey, alpha), 3 (RGB) or 4 (RGBA)"
        )
    if not np.isfinite(sheet).all():
        raise InputError(f"{what} contains NaN or infinite values")


def unpack_sheet(
    layout: SheetLayout, sheet: np.ndarray, what: str = "the styled sheet"
) -> dict[int, np.ndarray]:
    """One keyframe per cell.

    Args:
        layout: the sheet's layout.
        sheet: (sheet_height, sheet_width, C) float32, C in 1-4 (2 and 4 carry alpha).
        what: how messages name the sheet (its file).

    Returns:
        frame -> (plate_height, plate_width, C') float32: C' = C when no cell crops the plate,
        else C with an alpha channel added if it had none (0 outside the crop).

    Raises:
        InputError: ``sheet`` is not the layout's size (names the expected size), has an
            unsupported channel count or non-finite values.
    """
    sheet = np.asarray(sheet, dtype=np.float32)
    check_sheet(layout, sheet, what)
    channels = sheet.shape[2]
    with_alpha = layout.crops_plate and channels in (1, 3)
    out_channels = channels + 1 if with_alpha else channels
    keys: dict[int, np.ndarray] = {}
    for cell in layout.cells:
        x, y = layout.cell_origin(cell)
        box = cell.placed
        region = sheet[y + box.y : y + box.y1, x + box.x : x + box.x1]
        restored = resize(region, cell.crop.width, cell.crop.height)
        if with_alpha:
            opaque = np.ones((*restored.shape[:2], 1), np.float32)
            restored = np.concatenate([restored, opaque], axis=2)
        key = np.zeros((layout.plate_height, layout.plate_width, out_channels), np.float32)
        key[cell.crop.y : cell.crop.y1, cell.crop.x : cell.crop.x1] = restored
        keys[cell.frame] = key
    return keys


def read_sheet_keys(
    sheet_path: str | os.PathLike[str], layout_path: str | os.PathLike[str]
) -> dict[int, np.ndarray]:
    """The keyframes of a styled sheet file, cut by its layout file (``unpack_sheet``).

    Raises:
        InputError: an unreadable sheet or layout, or a sheet that does not fit the layout
            (names the file and the expected size).
    """
    layout = read_layout(layout_path)
    sheet = read_image(sheet_path).pixels
    return unpack_sheet(layout, sheet, what=f"the styled sheet {sheet_path}")
