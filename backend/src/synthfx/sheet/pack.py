# SPDX-License-Identifier: Apache-2.0
"""Tiling chosen plate frames into one key sheet.

Each cell holds one frame, or with a matte the frame cropped to the matte's bounding box plus a
margin. All cells share one size and the whole sheet one scale (the largest that fits every
crop into its cell), so a brush stroke painted on the sheet has the same size in every key once
unpacked; a crop narrower or shorter than the cell is centred (letterbox, filled with 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from synthfx.errors import InputError
from synthfx.io.sequences import FrameRange
from synthfx.pipeline.inputs import coverage_of
from synthfx.sheet.keys import choose_keys
from synthfx.sheet.layout import Box, Cell, SheetLayout
from synthfx.sheet.options import SheetOptions
from synthfx.sheet.resample import resize

# A matte pixel counts as object when its coverage is above this (soft edges included).
MATTE_THRESHOLD = 0.0


def matte_box(coverage: np.ndarray, margin: int, frame: int) -> Box:
    """The bounding box of a matte's object, grown by ``margin`` and clipped to the image.

    Args:
        coverage: (H, W) float matte of one frame (``synthfx.pipeline.inputs.coverage_of``).
        margin: pixels added on every side (patches near the edge need context).
        frame: the frame number, for the error message.

    Raises:
        InputError: a negative margin, or a matte with no pixel above ``MATTE_THRESHOLD``.
    """
    if margin < 0:
        raise InputError(f"--margin must be 0 or more pixels, got {margin}")
    rows = np.flatnonzero((coverage > MATTE_THRESHOLD).any(axis=1))
    columns = np.flatnonzero((coverage > MATTE_THRESHOLD).any(axis=0))
    if rows.size == 0:
        raise InputError(
            f"the matte is empty at frame {frame}: nothing to crop to "
            "(choose other --keys, or leave out --crop-to-matte)"
        )
    height, width = coverage.shape
    x0, y0 = max(int(columns[0]) - margin, 0), max(int(rows[0]) - margin, 0)
    x1, y1 = min(int(columns[-1]) + 1 + margin, width), min(int(rows[-1]) + 1 + margin, height)
    return Box(x0, y0, x1 - x0, y1 - y0)


def plan_layout(
    frames: Sequence[int],
    plate_size: tuple[int, int],
    columns: int,
    *,
    crops: Mapping[int, Box] | None = None,
    cell_size: tuple[int, int] | None = None,
) -> SheetLayout:
    """Where each frame goes.

    Args:
        frames: the key frames, in the order they fill the grid (row by row).
        plate_size: (width, height) of the plate frames.
        columns: cells per row; rows are as many as ``frames`` need.
        crops: frame -> part of the plate to keep; None: whole frames.
        cell_size: (width, height) of a cell; None: the largest crop's width and height (the
            plate's size without crops), so nothing is resampled.

    Raises:
        InputError: a cell size below 1 pixel, or a crop that is missing or outside the plate.
    """
    plate_width, plate_height = plate_size
    whole = Box(0, 0, plate_width, plate_height)
    boxes = {frame: whole if crops is None else crops.get(frame) for frame in frames}
    missing = [frame for frame, box in boxes.items() if box is None]
    if missing:
        raise InputError(f"no crop box for key frame(s) {missing}")
    chosen = {frame: box for frame, box in boxes.items() if box is not None}
    if cell_size is None:
        cell_size = (
            max(box.width for box in chosen.values()),
            max(box.height for box in chosen.values()),
        )
    cell_width, cell_height = cell_size
    if cell_width < 1 or cell_height < 1:
        raise InputError(f"--cell-size must be at least 1x1, got {cell_width}x{cell_height}")
    scale = min(min(cell_width / b.width, cell_height / b.height) for b in chosen.values())
    cells = []
    for index, frame in enumerate(frames):
        box = chosen[frame]
        # Exact 1.0 when the crop fits: the copy stays bit-exact (no resampling).
        width = min(max(round(box.width * scale), 1), cell_width)
        height = min(max(round(box.height * scale), 1), cell_height)
        placed = Box((cell_width - width) // 2, (cell_height - height) // 2, width, height)
        row, column = divmod(index, columns)
        cells.append(Cell(frame, column, row, box, placed, scale))
    rows = -(-len(frames) // columns)
    return SheetLayout(
        plate_width, plate_height, columns, rows, cell_width, cell_height, tuple(cells)
    )


def pack_sheet(layout: SheetLayout, plates: Mapping[int, np.ndarray]) -> np.ndarray:
    """The sheet image.

    Args:
        layout: from ``plan_layout``.
        plates: frame -> (plate_height, plate_width, C) float32 pixels, every key frame.

    Returns:
        (sheet_height, sheet_width, C) float32; each cell's crop resampled into ``placed``
        (copied exactly where not resampled), 0 elsewhere.

    Raises:
        InputError: a key frame missing from ``plates`` or of another size or channel count.
    """
    first = plates.get(layout.cells[0].frame)
    if first is None:
        raise InputError(f"no pixels for key frame {layout.cells[0].frame}")
    channels = first.shape[2]
    sheet = np.zeros((layout.sheet_height, layout.sheet_width, channels), np.float32)
    for cell in layout.cells:
        plate = plates.get(cell.frame)
        if plate is None:
            raise InputError(f"no pixels for key frame {cell.frame}")
        if plate.shape != (layout.plate_height, layout.plate_width, channels):
            raise InputError(
                f"frame {cell.frame} is {plate.shape[1]}x{plate.shape[0]} with {plate.shape[2]} "
                f"channels, the sheet's plate is {layout.plate_width}x{layout.plate_height} "
                f"with {channels}"
            )
        crop = plate[cell.crop.y : cell.crop.y1, cell.crop.x : cell.crop.x1]
        x, y = layout.cell_origin(cell)
        box = cell.placed
        sheet[y + box.y : y + box.y1, x + box.x : x + box.x1] = resize(crop, box.width, box.height)
    return sheet


def build_sheet(
    shot: FrameRange,
    options: SheetOptions,
    read_plate: Callable[[int], np.ndarray],
    read_matte: Callable[[int], np.ndarray] | None = None,
    read: Callable[[int, int, int], None] | None = None,
) -> tuple[SheetLayout, np.ndarray]:
    """The sheet of a shot as ``synthfx sheet pack`` and the PackSheet call make it.

    Args:
        shot: the shot's frames (``options.keys`` "auto" spreads the keys over it).
        options: which keys, how they are cropped and tiled.
        read_plate: frame -> (H, W, C) float32 plate pixels; only key frames are read.
        read_matte: frame -> matte pixels (1 channel, alpha or RGB mean: ``coverage_of``);
            needed with ``options.crop_to_matte``.
        read: called with (frame, keys read so far, keys) after each key is read (progress).

    Returns:
        (layout, (sheet_height, sheet_width, C) float32 sheet).

    Raises:
        InputError: bad keys or options, a matte missing or of another size than the plate,
            an empty matte at a key, plates of different sizes.
    """
    if options.crop_to_matte and read_matte is None:
        raise InputError("crop_to_matte needs a matte")
    keys, columns = choose_keys(options.keys, shot, options.grid)
    plates: dict[int, np.ndarray] = {}
    crops: dict[int, Box] | None = {} if options.crop_to_matte else None
    for done, frame in enumerate(keys, start=1):
        plates[frame] = read_plate(frame)
        if crops is not None and read_matte is not None:
            height, width = plates[frame].shape[:2]
            coverage = coverage_of(read_matte(frame))
            if coverage.shape != (height, width):
                raise InputError(
                    f"the matte at frame {frame} is {coverage.shape[1]}x{coverage.shape[0]}, "
                    f"the plate is {width}x{height}"
                )
            crops[frame] = matte_box(coverage, options.margin, frame)
        if read is not None:
            read(frame, done, len(keys))
    height, width = plates[keys[0]].shape[:2]
    layout = plan_layout(keys, (width, height), columns, crops=crops, cell_size=options.cell_size)
    return layout, pack_sheet(layout, plates)
