# SPDX-License-Identifier: Apache-2.0
"""The engine's progress callback: fractions, cancellation, and no effect on the result."""

from __future__ import annotations

import threading
import time
from itertools import pairwise

import numpy as np
import pytest

from synthfx.engine import SynthesisResult, synthesize
from synthfx.errors import CancelledError, EngineError
from synthfx_testing import load_stylit

# Enough work that a cancel has something to cut short: ~100 callbacks per run.
PARAMS = {"search_vote_iters": 4, "patchmatch_iters": 3, "extra_pass_3x3": True, "threads": 2}


@pytest.fixture(scope="module")
def stylit(ebsynth_data) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, float]]]:
    """The StyLit example at quarter size (228x300): style and four lighting guides."""
    return load_stylit(ebsynth_data, 0.25, ("fullgi", "dirdif", "dirspc", "indirb"))


@pytest.fixture(scope="module")
def reference(stylit) -> SynthesisResult:
    style, guides = stylit
    return synthesize(style, guides, **PARAMS)


def assert_same(a: SynthesisResult, b: SynthesisResult) -> None:
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.nnf, b.nnf)
    assert np.array_equal(a.error, b.error)


def test_smoke(stylit, reference) -> None:
    style, guides = stylit
    fractions: list[float] = []
    threads: set[int] = set()

    def progress(fraction: float) -> None:
        fractions.append(fraction)
        threads.add(threading.get_ident())

    result = synthesize(style, guides, progress=progress, **PARAMS)
    assert_same(result, reference)
    # Called on the calling thread only: at the start, per iteration and vote, at the end.
    assert threads == {threading.get_ident()}
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions.count(1.0) == 1
    assert all(b >= a for a, b in pairwise(fractions))
    assert all(isinstance(f, float) and 0.0 <= f <= 1.0 for f in fractions)
    # Every level: 4 rounds of (3 iterations + a vote), a starting vote; the coarsest level's
    # guide search; the 3x3 pass.
    levels = 5
    assert len(fractions) >= levels * (4 * (3 + 1) + 1) + 3 + (3 + 1) + 1
    # Levels are weighted by their pixels: the finest level is most of the work.
    assert 0.5 < fractions[-2] < 1.0
    assert fractions[len(fractions) // 3] < 0.5


@pytest.mark.parametrize("threads", [1, 2])
def test_bit_identical_with_callback(stylit, reference, threads: int) -> None:
    """A callback that never cancels changes nothing, at any thread count."""
    style, guides = stylit
    calls = []
    result = synthesize(
        style, guides, progress=lambda f: calls.append(f), **{**PARAMS, "threads": threads}
    )
    assert calls and calls[-1] == 1.0
    assert_same(result, reference)


def test_cancel_stops_within_one_step(stylit) -> None:
    style, guides = stylit
    stamps: list[tuple[float, float]] = []
    started = time.perf_counter()
    synthesize(style, guides, progress=lambda f: stamps.append((f, time.perf_counter())), **PARAMS)
    full = time.perf_counter() - started
    calls_total = len(stamps)

    # Cancel once a tenth of the work is done: no further callback, well before the end.
    made: list[float] = []

    def cancel_at_a_tenth(fraction: float) -> bool:
        made.append(fraction)
        return fraction >= 0.1

    started = time.perf_counter()
    with pytest.raises(CancelledError, match=r"cancelled by the progress callback at 1\d% done"):
        synthesize(style, guides, progress=cancel_at_a_tenth, **PARAMS)
    elapsed = time.perf_counter() - started
    expected_calls = next(i for i, (f, _) in enumerate(stamps) if f >= 0.1) + 1
    # Stopped at that very callback (the coarse levels make many cheap ones before it).
    assert len(made) == expected_calls < calls_total
    assert 0.1 <= made[-1] < 0.2
    # The time the full run took to reach the same point, plus at most one step's worth.
    reached = stamps[expected_calls - 1][1] - stamps[0][1]
    assert elapsed < 0.5 * full, f"cancel took {elapsed:.2f} s of a {full:.2f} s run"
    assert elapsed < 3 * reached + 0.5


def test_cancel_at_the_first_call(stylit) -> None:
    style, guides = stylit
    calls = []

    def cancel(fraction: float) -> int:
        calls.append(fraction)
        return 1  # any truthy value cancels

    with pytest.raises(CancelledError, match="at 0% done"):
        synthesize(style, guides, progress=cancel, **PARAMS)
    assert calls == [0.0]


def test_raised_exception_propagates(stylit, reference) -> None:
    style, guides = stylit

    class Stop(Exception):
        pass

    raised = Stop("stop here")
    calls = []

    def progress(fraction: float) -> None:
        calls.append(fraction)
        if fraction > 0.3:
            raise raised

    with pytest.raises(Stop) as caught:
        synthesize(style, guides, progress=progress, **PARAMS)
    assert caught.value is raised
    assert calls[-1] > 0.3 and all(f <= 0.3 for f in calls[:-1])
    # The pipeline's own CancelledError passes through unchanged too.
    with pytest.raises(CancelledError, match="frame 7"):
        synthesize(
            style,
            guides,
            progress=lambda f: (_ for _ in ()).throw(CancelledError("cancelled at frame 7")),
            **PARAMS,
        )
    # The engine is left in a clean state.
    assert_same(synthesize(style, guides, **PARAMS), reference)


def test_engine_runs_without_the_gil(stylit) -> None:
    """Another Python thread keeps running while the engine works between callbacks."""
    style, guides = stylit
    ticks = 0
    running = threading.Event()
    done = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        running.set()
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    running.wait()
    seen: list[int] = []
    try:
        synthesize(style, guides, progress=lambda f: seen.append(ticks), **PARAMS)
    finally:
        done.set()
        thread.join()
    assert seen[-1] - seen[0] > 10


def test_exception(stylit) -> None:
    style, guides = stylit
    with pytest.raises(EngineError, match="progress must be callable or None, got int"):
        synthesize(style, guides, progress=3, **PARAMS)  # type: ignore[arg-type]
    # Invalid input is reported before any progress.
    calls = []
    with pytest.raises(EngineError, match="patch_size"):
        synthesize(style, guides, progress=calls.append, patch_size=4)
    assert calls == []
