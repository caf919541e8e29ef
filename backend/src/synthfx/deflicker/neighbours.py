# SPDX-License-Identifier: Apache-2.0
"""Which neighbours of a frame are remapped onto it, by mode.

    >>> neighbour_offsets("fast", 16)
    (1, 2, 4, 8, 16)
    >>> neighbours_of(3, range(0, 10), "fast", 4)
    (2, 4, 1, 5, 7)

Offsets are distances in frames, used on both sides of the frame; neighbours outside the shot
are left out, so a frame near either end blends fewer (never a jump at a chunk boundary: a
frame's neighbours depend on the frame and the shot, not on what else is rendered).
"""

from __future__ import annotations

from synthfx.deflicker.options import Mode


def neighbour_offsets(mode: Mode, window: int) -> tuple[int, ...]:
    """Distances of the remapped neighbours, increasing.

    accurate: every distance 1..window. fast: the powers of two up to the window (1, 2, 4...),
    floor(log2(window)) + 1 per side. balanced: those and every even distance, about
    window / 2 per side.
    """
    dyadic = {1 << k for k in range(window.bit_length()) if 1 << k <= window}
    if mode == "fast":
        chosen = dyadic
    elif mode == "balanced":
        chosen = dyadic | set(range(2, window + 1, 2))
    else:
        chosen = set(range(1, window + 1))
    return tuple(sorted(chosen))


def neighbours_of(frame: int, shot: range, mode: Mode, window: int) -> tuple[int, ...]:
    """The neighbour frames of ``frame`` inside ``shot``, nearest first (before, then after)."""
    found = []
    for distance in neighbour_offsets(mode, window):
        for neighbour in (frame - distance, frame + distance):
            if neighbour in shot:
                found.append(neighbour)
    return tuple(found)


def frames_needed(frame: int, shot: range, mode: Mode, window: int) -> tuple[int, ...]:
    """Every input frame the output of ``frame`` reads: itself and its neighbours, increasing
    (always inside the window clipped to the shot)."""
    return tuple(sorted((frame, *neighbours_of(frame, shot, mode, window))))
