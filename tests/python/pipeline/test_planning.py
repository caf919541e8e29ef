# SPDX-License-Identifier: Apache-2.0
"""Keyframe segment planning: pass layout, blend weights, validation and random access."""

from __future__ import annotations

import itertools

import pytest

from synthfx.errors import InputError
from synthfx.pipeline.planning import FramePlan, Pass, Plan, plan_segments


def _check_complete(plan: Plan) -> None:
    """Every frame is planned, weights sum to 1 and every source pass covers the frame."""
    assert sorted(plan.frames) == list(range(plan.first, plan.last + 1))
    for frame, fp in plan.frames.items():
        assert fp.frame == frame
        if frame in plan.keys:
            assert fp.sources == () and fp.key == frame
            continue
        assert fp.key is None
        assert sum(w for _, w in fp.sources) == pytest.approx(1.0)
        for index, _ in fp.sources:
            assert frame in plan.passes[index].frames


def test_ezsynth_layout() -> None:
    plan = plan_segments(1, 30, {1, 10, 20})
    assert plan.passes == (
        Pass(1, "forward", tuple(range(2, 10))),
        Pass(10, "reverse", tuple(range(9, 1, -1))),
        Pass(10, "forward", tuple(range(11, 20))),
        Pass(20, "reverse", tuple(range(19, 10, -1))),
        Pass(20, "forward", tuple(range(21, 31))),
    )
    assert plan.keys == (1, 10, 20)
    assert plan.frames[10] == FramePlan(10, (), key=10)
    assert plan.frames[25] == FramePlan(25, ((4, 1.0),))
    assert plan.frames[5].sources == ((0, 5 / 9), (1, 4 / 9))
    _check_complete(plan)


def test_single_key_in_middle() -> None:
    plan = plan_segments(0, 9, [4])
    assert plan.passes == (
        Pass(4, "reverse", (3, 2, 1, 0)),
        Pass(4, "forward", (5, 6, 7, 8, 9)),
    )
    assert plan.frames[0].sources == ((0, 1.0),)
    assert plan.frames[9].sources == ((1, 1.0),)
    _check_complete(plan)


def test_keys_at_first_and_last_frame() -> None:
    plan = plan_segments(5, 9, [9, 5])  # any order
    assert plan.keys == (5, 9)
    assert plan.passes == (Pass(5, "forward", (6, 7, 8)), Pass(9, "reverse", (8, 7, 6)))
    _check_complete(plan)
    only_first = plan_segments(5, 9, [5])
    assert only_first.passes == (Pass(5, "forward", (6, 7, 8, 9)),)
    only_last = plan_segments(5, 9, [9])
    assert only_last.passes == (Pass(9, "reverse", (8, 7, 6, 5)),)


def test_adjacent_keys_and_single_frame() -> None:
    plan = plan_segments(0, 3, [1, 2])
    assert plan.passes == (Pass(1, "reverse", (0,)), Pass(2, "forward", (3,)))
    _check_complete(plan)
    assert plan_segments(7, 7, [7]).passes == ()


def test_only_forward() -> None:
    plan = plan_segments(0, 20, [3, 10], only="forward")
    assert plan.passes == (
        Pass(3, "reverse", (2, 1, 0)),
        Pass(3, "forward", tuple(range(4, 10))),
        Pass(10, "forward", tuple(range(11, 21))),
    )
    assert all(plan.frames[t].sources == ((1, 1.0),) for t in range(4, 10))
    _check_complete(plan)


def test_only_reverse() -> None:
    plan = plan_segments(0, 20, [3, 10], only="reverse")
    assert plan.passes == (
        Pass(3, "reverse", (2, 1, 0)),
        Pass(10, "reverse", tuple(range(9, 3, -1))),
        Pass(10, "forward", tuple(range(11, 21))),
    )
    assert all(plan.frames[t].sources == ((1, 1.0),) for t in range(4, 10))
    _check_complete(plan)


def test_blend_weights_linear() -> None:
    a, b = 10, 20
    plan = plan_segments(a, b, [a, b])
    forward = [
        dict(plan.frames[t].sources)[0] if t not in (a, b) else None for t in range(a, b + 1)
    ]
    inner = forward[1:-1]
    # Forward weight is (b - t) / (b - a): 1 at the key, falling by a constant step.
    assert inner == pytest.approx([(b - t) / (b - a) for t in range(a + 1, b)])
    steps = [x - y for x, y in itertools.pairwise(inner)]
    assert steps == pytest.approx([1 / (b - a)] * len(steps))
    assert inner[0] + 1 / (b - a) == pytest.approx(1.0)  # extrapolates to 1 at key a
    for t in range(a + 1, b):
        (fi, fw), (ri, rw) = plan.frames[t].sources
        assert plan.passes[fi].direction == "forward" and plan.passes[ri].direction == "reverse"
        assert fw + rw == pytest.approx(1.0)


def test_passes_for() -> None:
    plan = plan_segments(1, 30, [1, 10, 20])
    assert plan.passes_for(15) == (2, 3)
    assert [plan.passes[i].direction for i in plan.passes_for(15)] == ["forward", "reverse"]
    assert plan.passes_for(10) == ()
    assert plan.passes_for(30) == (4,)
    with pytest.raises(InputError, match="31"):
        plan.passes_for(31)


@pytest.mark.parametrize(
    ("first", "last", "keys", "pattern"),
    [
        (1, 30, [0, 5, 31], r"keyframe\(s\) 0, 31 outside the frame range 1-30"),
        (1, 30, [], r"no keyframes given for frames 1-30"),
        (10, 5, [7], r"first frame 10 is after last frame 5"),
        (1, 30, [4, 9, 4, 9, 12], r"duplicate keyframe\(s\): 4, 9"),
    ],
)
def test_validation(first: int, last: int, keys: list[int], pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        plan_segments(first, last, keys)


def test_invalid_only() -> None:
    with pytest.raises(InputError, match="both"):
        plan_segments(0, 5, [2], only="both")  # type: ignore[arg-type]
