# SPDX-License-Identifier: Apache-2.0
"""Which frames a key sheet holds: auto (evenly spaced, N x N) or a list."""

from __future__ import annotations

import itertools

import pytest

from synthfx.errors import InputError
from synthfx.io import FrameRange
from synthfx.sheet import auto_keys, choose_keys, parse_key_list

SHOTS = [(1001, 1100), (0, 15), (1, 17), (-20, 5), (1001, 1009)]


@pytest.mark.parametrize(
    "first,last,grid",
    [(a, b, n) for a, b in SHOTS for n in (2, 3, 4) if b - a + 1 >= n * n],
)
def test_auto_keys_cover_the_shot_evenly(first: int, last: int, grid: int) -> None:
    frame_range = FrameRange(first, last)
    keys = auto_keys(frame_range, grid)
    assert len(keys) == grid * grid
    assert keys[0] == first and keys[-1] == last
    assert list(keys) == sorted(set(keys))
    gaps = [b - a for a, b in itertools.pairwise(keys)]
    ideal = (last - first) / (grid * grid - 1)
    # Rounded to whole frames: every gap within one frame of the ideal spacing.
    assert all(abs(gap - ideal) < 1 for gap in gaps), gaps
    assert max(gaps) - min(gaps) <= 1


def test_auto_keys_exact_values() -> None:
    assert auto_keys(FrameRange(1001, 1100), 2) == (1001, 1034, 1067, 1100)
    assert auto_keys(FrameRange(0, 8), 3) == tuple(range(9))  # as many frames as cells
    assert auto_keys(FrameRange(1001, 1005), 1) == (1001,)


def test_auto_keys_exception() -> None:
    with pytest.raises(InputError, match=r"3x3 sheet needs 9 key frames.*1001-1008.*only 8"):
        auto_keys(FrameRange(1001, 1008), 3)
    with pytest.raises(InputError, match="at least 1"):
        auto_keys(FrameRange(1001, 1008), 0)


def test_key_list() -> None:
    frames = FrameRange(1001, 1100)
    assert parse_key_list("1050, 1001,1100", frames) == (1001, 1050, 1100)
    assert choose_keys("1001,1010,1020,1030,1040", frames, None) == (
        (1001, 1010, 1020, 1030, 1040),
        3,
    )
    assert choose_keys("auto", frames, 2) == ((1001, 1034, 1067, 1100), 2)


@pytest.mark.parametrize(
    "spec,grid,message",
    [
        ("1001,ten", 2, r"'ten' is not a frame number"),
        ("1001,1001", 2, r"frame 1001 is listed twice"),
        ("1001,1200", 2, r"frame 1200 is outside the frames 1001-1100"),
        ("1001,1002,1003,1004,1005", 2, r"lists 5 frames, a 2x2 sheet holds 4"),
        ("auto", None, r"--keys auto needs --grid"),
    ],
)
def test_key_list_exception(spec: str, grid: int | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        choose_keys(spec, FrameRange(1001, 1100), grid)
