# SPDX-License-Identifier: Apache-2.0
"""Keyframe segment planning: which synthesis passes to run and how to combine them per frame.

Layout for a frame range ``[first, last]`` (inclusive) and sorted keyframes ``k_0 < ... < k_n``:

* before ``k_0``: one reverse pass from ``k_0`` down to ``first``;
* between ``k_i`` and ``k_(i+1)``: a forward pass from ``k_i`` and a reverse pass from
  ``k_(i+1)``; each frame ``t`` strictly between them blends the two with forward weight
  ``(k_(i+1) - t) / (k_(i+1) - k_i)`` (1 at ``k_i``, falling linearly to 0 at ``k_(i+1)``);
* after ``k_n``: one forward pass from ``k_n`` up to ``last``;
* keyframes output their key's style directly (no pass).

A pass lists its frames in processing order and excludes its key (and, between keys, the
other key, which outputs its own style). Passes with no frames (adjacent keys, a key at
``first`` or ``last``) are not emitted.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from synthfx.errors import InputError

Direction = Literal["forward", "reverse"]


@dataclass(frozen=True)
class Pass:
    """One synthesis pass propagating a keyframe's style in one direction.

    Attributes:
        key: The keyframe number the pass starts from.
        direction: ``"forward"`` (increasing frame numbers) or ``"reverse"``.
        frames: Frame numbers in processing order, excluding ``key``.
    """

    key: int
    direction: Direction
    frames: tuple[int, ...]


@dataclass(frozen=True)
class FramePlan:
    """How one output frame is produced.

    Attributes:
        frame: The frame number.
        sources: ``(pass_index, weight)`` pairs into ``Plan.passes``; weights sum to 1.
            Empty for a keyframe.
        key: The keyframe number when ``frame`` is a keyframe (its style is output directly),
            else ``None``.
    """

    frame: int
    sources: tuple[tuple[int, float], ...]
    key: int | None = None


@dataclass(frozen=True)
class Plan:
    """The passes to run over a frame range and the recipe of every frame in it.

    Attributes:
        first: First frame of the range (inclusive).
        last: Last frame of the range (inclusive).
        keys: Sorted keyframe numbers.
        passes: The synthesis passes, in a valid execution order.
        frames: Frame number -> ``FramePlan`` for every frame in ``[first, last]``.
    """

    first: int
    last: int
    keys: tuple[int, ...]
    passes: tuple[Pass, ...]
    frames: dict[int, FramePlan]

    def passes_for(self, frame: int) -> tuple[int, ...]:
        """Indices into ``passes`` that ``frame`` depends on (empty for a keyframe).

        To render only ``frame``, run each of these passes up to and including ``frame``.

        Raises:
            InputError: ``frame`` is outside the planned range.
        """
        if frame not in self.frames:
            raise InputError(f"frame {frame} is outside the planned range {self.first}-{self.last}")
        return tuple(index for index, _ in self.frames[frame].sources)


def _validate(first: int, last: int, keys: Iterable[int], only: str | None) -> tuple[int, ...]:
    if only not in (None, "forward", "reverse"):
        raise InputError(f"only must be 'forward', 'reverse' or None, got {only!r}")
    if first > last:
        raise InputError(f"first frame {first} is after last frame {last}")
    key_list = list(keys)
    if not key_list:
        raise InputError(f"no keyframes given for frames {first}-{last}")
    duplicates = sorted(k for k, count in Counter(key_list).items() if count > 1)
    if duplicates:
        raise InputError(f"duplicate keyframe(s): {', '.join(map(str, duplicates))}")
    outside = sorted(k for k in key_list if not first <= k <= last)
    if outside:
        raise InputError(
            f"keyframe(s) {', '.join(map(str, outside))} outside the frame range {first}-{last}"
        )
    return tuple(sorted(key_list))


def plan_segments(
    first: int, last: int, keys: Iterable[int], only: Direction | None = None
) -> Plan:
    """Plan the synthesis passes for frames ``first..last`` styled from ``keys``.

    Args:
        first: First frame number (inclusive).
        last: Last frame number (inclusive).
        keys: Keyframe numbers inside ``[first, last]``, no duplicates (any order).
        only: ``"forward"`` or ``"reverse"`` to use only that direction between keys (weight
            1, no blend); frames before the first key still use the reverse pass and frames
            after the last key the forward pass, since nothing else reaches them. ``None``
            (default) blends both directions between keys.

    Returns:
        The ``Plan``.

    Raises:
        InputError: ``first > last``, no keys, duplicate keys or keys outside the range; the
            message names the offending frame(s).
    """
    sorted_keys = _validate(first, last, keys, only)
    passes: list[Pass] = []
    frames: dict[int, FramePlan] = {k: FramePlan(k, (), key=k) for k in sorted_keys}

    def add(key: int, direction: Direction, span: range) -> int:
        passes.append(Pass(key, direction, tuple(span)))
        return len(passes) - 1

    k0 = sorted_keys[0]
    if k0 > first:
        index = add(k0, "reverse", range(k0 - 1, first - 1, -1))
        for t in passes[index].frames:
            frames[t] = FramePlan(t, ((index, 1.0),))

    for a, b in itertools.pairwise(sorted_keys):
        if b - a < 2:
            continue
        fwd = add(a, "forward", range(a + 1, b)) if only != "reverse" else None
        rev = add(b, "reverse", range(b - 1, a, -1)) if only != "forward" else None
        for t in range(a + 1, b):
            sources: tuple[tuple[int, float], ...]
            if fwd is None:
                assert rev is not None
                sources = ((rev, 1.0),)
            elif rev is None:
                sources = ((fwd, 1.0),)
            else:
                w = (b - t) / (b - a)
                sources = ((fwd, w), (rev, 1.0 - w))
            frames[t] = FramePlan(t, sources)

    kn = sorted_keys[-1]
    if kn < last:
        index = add(kn, "forward", range(kn + 1, last + 1))
        for t in passes[index].frames:
            frames[t] = FramePlan(t, ((index, 1.0),))

    return Plan(
        first=first,
        last=last,
        keys=sorted_keys,
        passes=tuple(passes),
        frames=dict(sorted(frames.items())),
    )
