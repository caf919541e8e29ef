# SPDX-License-Identifier: Apache-2.0
"""Which frames of a shot become the keyframes of a key sheet."""

from __future__ import annotations

from collections.abc import Sequence

from synthfx.errors import InputError
from synthfx.io.sequences import FrameRange


def auto_keys(frame_range: FrameRange, grid: int) -> tuple[int, ...]:
    """``grid`` x ``grid`` frames spread evenly over the shot, first and last included.

    Frame ``i`` of ``K = grid**2`` is ``first + round(i * (len - 1) / (K - 1))``, rounding
    halves up, in integers, so the choice is the same on every machine. One cell holds the
    first frame.

    Raises:
        InputError: ``grid`` < 1, or the shot has fewer than ``grid**2`` frames.
    """
    if grid < 1:
        raise InputError(f"--grid must be at least 1, got {grid}")
    count = grid * grid
    length = len(frame_range)
    if length < count:
        raise InputError(
            f"a {grid}x{grid} sheet needs {count} key frames, but the frames {frame_range} are "
            f"only {length}; use a smaller --grid or a longer --range"
        )
    if count == 1:
        return (frame_range.first,)
    span, steps = length - 1, count - 1
    # floor(i * span / steps + 1/2): steps of at least one frame stay distinct after rounding.
    return tuple(frame_range.first + (2 * i * span + steps) // (2 * steps) for i in range(count))


def parse_key_list(text: str, frame_range: FrameRange) -> tuple[int, ...]:
    """``"1001,1020,1050"`` -> (1001, 1020, 1050), sorted; errors name the bad entry.

    Raises:
        InputError: an entry that is not a frame number, a frame twice, or a frame outside
            ``frame_range``.
    """
    frames: list[int] = []
    for entry in text.split(","):
        try:
            frame = int(entry.strip())
        except ValueError:
            raise InputError(
                f"--keys {text!r}: {entry.strip()!r} is not a frame number "
                "(expected auto or a list such as 1001,1020,1050)"
            ) from None
        if frame in frames:
            raise InputError(f"--keys: frame {frame} is listed twice")
        if frame not in frame_range:
            raise InputError(f"--keys: frame {frame} is outside the frames {frame_range}")
        frames.append(frame)
    return tuple(sorted(frames))


def choose_keys(
    spec: str, frame_range: FrameRange, grid: int | None
) -> tuple[tuple[int, ...], int]:
    """The key frames and the number of columns of the sheet.

    Args:
        spec: ``"auto"`` or a comma-separated list of frame numbers.
        frame_range: the shot's frames.
        grid: the sheet's columns (and rows, for auto); None with a list: the smallest square
            grid that holds it.

    Returns:
        (sorted key frames, columns).

    Raises:
        InputError: no grid for auto, a list that does not fit ``grid`` x ``grid``, or the
            errors of ``auto_keys`` and ``parse_key_list``.
    """
    if spec.strip() == "auto":
        if grid is None:
            raise InputError("--keys auto needs --grid N (an N x N sheet)")
        return auto_keys(frame_range, grid), grid
    keys = parse_key_list(spec, frame_range)
    if grid is None:
        grid = _smallest_square(keys)
    elif grid < 1:
        raise InputError(f"--grid must be at least 1, got {grid}")
    elif len(keys) > grid * grid:
        raise InputError(
            f"--keys lists {len(keys)} frames, a {grid}x{grid} sheet holds {grid * grid}"
        )
    return keys, grid


def _smallest_square(keys: Sequence[int]) -> int:
    grid = 1
    while grid * grid < len(keys):
        grid += 1
    return grid
