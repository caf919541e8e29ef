# SPDX-License-Identifier: Apache-2.0
"""Packing key frames into a sheet: matte crop boxes, cell sizes, one scale, letterbox."""

from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.sheet import Box, matte_box, pack_sheet, plan_layout

from .conftest import moving_mattes


def test_matte_box_of_a_real_matte(head_matte: np.ndarray) -> None:
    height, width = head_matte.shape
    rows = np.flatnonzero(head_matte.max(axis=1) > 0)
    columns = np.flatnonzero(head_matte.max(axis=0) > 0)
    tight = matte_box(head_matte, 0, 1001)
    x0, y0, x1, y1 = int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1
    assert tight == Box(x0, y0, x1 - x0, y1 - y0)
    # The head spans 92-773 x 43-902 of 810x1000: a 60 px margin is clipped at the top and the
    # right, kept in full at the left and the bottom.
    assert (tight.x, tight.y, tight.x1, tight.y1) == (92, 43, 774, 903)
    grown = matte_box(head_matte, 60, 1001)
    assert (grown.x, grown.y, grown.x1, grown.y1) == (32, 0, width, 963)
    assert grown.inside(width, height)


def test_matte_box_exception(head_matte: np.ndarray) -> None:
    with pytest.raises(InputError, match="the matte is empty at frame 1007"):
        matte_box(np.zeros((72, 128), np.float32), 8, 1007)
    with pytest.raises(InputError, match="--margin must be 0 or more"):
        matte_box(head_matte, -1, 1001)


def test_whole_frames_are_copied(plates: dict[int, np.ndarray]) -> None:
    frames = [1001, 1003, 1006, 1009]
    layout = plan_layout(frames, (128, 72), 2)
    assert (layout.sheet_width, layout.sheet_height) == (256, 144)
    assert all(cell.scale == 1.0 and not cell.resampled for cell in layout.cells)
    sheet = pack_sheet(layout, plates)
    assert sheet.shape == (144, 256, 3) and sheet.dtype == np.float32
    # Row by row: 1006 is the first cell of the second row.
    np.testing.assert_array_equal(sheet[72:, :128], plates[1006])
    np.testing.assert_array_equal(sheet[:72, 128:], plates[1003])


def test_crops_share_a_cell_size_and_one_scale(
    plates: dict[int, np.ndarray], head_matte: np.ndarray
) -> None:
    frames = [1001, 1003, 1005]
    mattes = moving_mattes(head_matte, frames)
    crops = {f: matte_box(mattes[f], 4, f) for f in frames}
    layout = plan_layout(frames, (128, 72), 2, crops=crops)
    # Default cell: the largest crop's width and height; nothing resampled.
    assert (layout.cell_width, layout.cell_height) == (
        max(c.width for c in crops.values()),
        max(c.height for c in crops.values()),
    )
    assert all(cell.scale == 1.0 and not cell.resampled for cell in layout.cells)
    assert (layout.columns, layout.rows) == (2, 2)
    sheet = pack_sheet(layout, plates)
    for cell in layout.cells:
        x, y = layout.cell_origin(cell)
        placed, crop = cell.placed, cell.crop
        # Centred in its cell (letterbox on both sides within a pixel), 0 around it.
        assert abs(placed.x - (layout.cell_width - placed.x1)) <= 1
        assert abs(placed.y - (layout.cell_height - placed.y1)) <= 1
        inside = sheet[y + placed.y : y + placed.y1, x + placed.x : x + placed.x1]
        np.testing.assert_array_equal(
            inside, plates[cell.frame][crop.y : crop.y1, crop.x : crop.x1]
        )
        cell_pixels = sheet[y : y + layout.cell_height, x : x + layout.cell_width].copy()
        cell_pixels[placed.y : placed.y1, placed.x : placed.x1] = 0
        assert not cell_pixels.any()
    assert not sheet[layout.cell_height :, layout.cell_width :].any()  # the empty fourth cell


def test_explicit_cell_size_scales_every_crop_alike() -> None:
    crops = {1: Box(0, 0, 100, 50), 2: Box(10, 10, 40, 40)}
    layout = plan_layout([1, 2], (128, 72), 2, crops=crops, cell_size=(200, 200))
    # The wide crop limits the scale to 2; the square crop gets 2 as well, not 5.
    assert [cell.scale for cell in layout.cells] == [2.0, 2.0]
    assert [(c.placed.width, c.placed.height) for c in layout.cells] == [(200, 100), (80, 80)]
    assert [(c.placed.x, c.placed.y) for c in layout.cells] == [(0, 50), (60, 60)]


def test_exception(plates: dict[int, np.ndarray]) -> None:
    with pytest.raises(InputError, match="--cell-size must be at least 1x1, got 0x10"):
        plan_layout([1001], (128, 72), 1, cell_size=(0, 10))
    layout = plan_layout([1001, 1002], (128, 72), 2)
    with pytest.raises(InputError, match="no pixels for key frame 1002"):
        pack_sheet(layout, {1001: plates[1001]})
    with pytest.raises(InputError, match="frame 1002 is 64x72 with 3 channels, the sheet's plate"):
        pack_sheet(layout, {1001: plates[1001], 1002: plates[1002][:, :64]})
