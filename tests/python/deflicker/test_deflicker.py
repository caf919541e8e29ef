# SPDX-License-Identifier: Apache-2.0
"""Deflicker on a known answer (real video, painterly truth, synthetic flicker), its cost by
mode, streaming, caching, determinism and input errors."""

from __future__ import annotations

import dataclasses
import itertools
import threading

import cv2
import numpy as np
import pytest

from synthfx.deflicker import (
    DEFLICKER_ENGINE_PARAMS,
    Deflicker,
    DeflickerOptions,
    neighbour_offsets,
)
from synthfx.deflicker import job as job_module
from synthfx.engine import SynthesisParams
from synthfx.errors import CancelledError, InputError
from synthfx.pipeline import MemoryFrames, ProgressEvent

WINDOW = 6


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(-10.0 * np.log10(np.mean(np.square(a - b))))


def mean_psnr(frames: dict, truth: dict) -> float:
    return float(np.mean([psnr(frames[f], truth[f]) for f in truth]))


def high_pass(image: np.ndarray) -> np.ndarray:
    return image - cv2.GaussianBlur(image, (0, 0), 2.0)


def detail_psnr(frames: dict, truth: dict) -> float:
    return float(np.mean([psnr(high_pass(frames[f]), high_pass(truth[f])) for f in truth]))


def flicker(frames: dict) -> float:
    """Mean absolute change between consecutive frames."""
    numbers = sorted(frames)
    return float(
        np.mean([np.abs(frames[b] - frames[a]).mean() for a, b in itertools.pairwise(numbers)])
    )


def temporal_average(frames: dict, window: int) -> dict:
    """The plain baseline: each frame the mean of the input frames of its window."""
    shot = sorted(frames)
    return {f: np.mean([frames[g] for g in shot if abs(g - f) <= window], axis=0) for f in shot}


def deflickered(known_answer, **options) -> tuple[dict, int]:
    job = Deflicker(
        MemoryFrames(known_answer.flickering),
        MemoryFrames(known_answer.plate),
        options=DeflickerOptions(**options),
    )
    out: dict = {}
    summary = job.run(lambda frame, result: out.__setitem__(frame, result.image))
    return out, summary.remaps


@pytest.fixture(scope="module")
def by_mode(known_answer) -> dict[str, dict]:
    return {
        mode: deflickered(known_answer, mode=mode, window=WINDOW)[0]
        for mode in ("fast", "balanced", "accurate")
    }


def test_smoke_known_answer(known_answer, by_mode) -> None:
    truth, flickering = known_answer.truth, known_answer.flickering
    baseline = mean_psnr(flickering, truth)
    average = mean_psnr(temporal_average(flickering, WINDOW), truth)
    for mode, out in by_mode.items():
        # Measured (160x90, 10 frames, window 6): input 25.5 dB, temporal average 21.6,
        # fast 28.7, balanced 29.0, accurate 29.1. Issue 14's target: 3 dB over the input.
        assert mean_psnr(out, truth) > baseline + 3.0, mode
        assert mean_psnr(out, truth) > average + 6.0, mode


def test_modes_order(known_answer, by_mode) -> None:
    truth = known_answer.truth
    scores = {mode: mean_psnr(out, truth) for mode, out in by_mode.items()}
    # Measured: accurate 0.17 dB over balanced, balanced 0.22 over fast.
    assert scores["accurate"] > scores["balanced"] + 0.05
    assert scores["balanced"] > scores["fast"] + 0.05


def test_flicker_drops(known_answer, by_mode) -> None:
    # The excess over the truth's own frame-to-frame change (its motion).
    truth_change = flicker(known_answer.truth)
    excess_in = flicker(known_answer.flickering) - truth_change
    for mode, out in by_mode.items():
        assert flicker(out) - truth_change < 0.3 * excess_in, mode
        # Issue 14's target; measured 1.14x (fast), 1.15x (balanced), 1.08x (accurate).
        assert flicker(out) < 1.2 * truth_change, mode


def test_detail_kept(known_answer, by_mode) -> None:
    """High frequencies follow the truth better than the input's and a temporal average's:
    the neighbours are carried along the motion, not blurred across it."""
    truth, flickering = known_answer.truth, known_answer.flickering
    average = detail_psnr(temporal_average(flickering, WINDOW), truth)
    noisy = detail_psnr(flickering, truth)
    for mode, out in by_mode.items():
        assert detail_psnr(out, truth) > average + 6.0, mode
        assert detail_psnr(out, truth) > noisy + 2.0, mode  # measured 3.0-3.5


@pytest.mark.parametrize("window", [4, 8, 16, 32])
def test_cost_by_mode(window: int, monkeypatch) -> None:
    """A middle frame costs 2 * (floor(log2 window) + 1) remaps in fast mode, 2 * window in
    accurate mode (counted engine calls)."""
    rng = np.random.default_rng(window)
    shot = {f: rng.random((12, 16, 3), dtype=np.float32) for f in range(2 * window + 1)}
    calls = []
    real = job_module.synthesize
    monkeypatch.setattr(job_module, "synthesize", lambda *a, **k: calls.append(1) or real(*a, **k))
    light = SynthesisParams(patch_size=3, search_vote_iters=1, patchmatch_iters=1)
    for mode, expected in (("fast", 2 * window.bit_length()), ("accurate", 2 * window)):
        calls.clear()
        options = DeflickerOptions(mode=mode, window=window, engine=light)
        Deflicker(MemoryFrames(shot), MemoryFrames(shot), options=options).render(window)
        assert len(calls) == expected, mode
    assert neighbour_offsets("fast", window)[-1] == window


def test_render_matches_run_and_is_deterministic(known_answer) -> None:
    """A chunk's frame (``render``) is the full run's frame, bit for bit, and threads never
    change a pixel."""
    runs = []
    for threads in (1, 2):
        engine = dataclasses.replace(DEFLICKER_ENGINE_PARAMS, threads=threads)
        out, _ = deflickered(known_answer, mode="fast", window=2, engine=engine)
        runs.append(out)
    for frame in runs[0]:
        np.testing.assert_array_equal(runs[0][frame], runs[1][frame])
    job = Deflicker(
        MemoryFrames(known_answer.flickering),
        MemoryFrames(known_answer.plate),
        options=DeflickerOptions(mode="fast", window=2),
    )
    for frame in (0, 5, 9):
        np.testing.assert_array_equal(job.render(frame).image, runs[0][frame])


def test_streams_and_caches(known_answer, tmp_path) -> None:
    frames = dict(list(known_answer.flickering.items())[:6])
    plate = dict(list(known_answer.plate.items())[:6])
    kept = []
    options = DeflickerOptions(mode="fast", window=1)
    job = Deflicker(MemoryFrames(frames), MemoryFrames(plate), options=options, cache_dir=tmp_path)
    first: dict = {}

    def write(frame, result) -> None:
        kept.append(job.inputs.kept_frames)
        first[frame] = result.image

    summary = job.run(write)
    assert summary.written == 6 and summary.remaps == 10
    assert max(kept) <= 3  # the window's frames only, never the shot
    again = Deflicker(
        MemoryFrames(frames), MemoryFrames(plate), options=options, cache_dir=tmp_path
    )
    second: dict = {}
    summary = again.run(lambda frame, result: second.__setitem__(frame, result.image))
    assert summary.remaps == 0
    for frame in first:
        np.testing.assert_array_equal(first[frame], second[frame])


def test_mask_and_alpha(known_answer) -> None:
    """Where the mask is 0 the render is kept exactly; alpha is a channel like the others."""
    frames = {
        f: np.dstack([im, np.full(im.shape[:2], 0.5, np.float32)])
        for f, im in list(known_answer.flickering.items())[:4]
    }
    plate = dict(list(known_answer.plate.items())[:4])
    mask = np.zeros((90, 160), np.float32)
    mask[:, 80:] = 1.0
    job = Deflicker(
        MemoryFrames(frames),
        MemoryFrames(plate),
        mask=MemoryFrames({f: mask for f in frames}),
        options=DeflickerOptions(mode="fast", window=1),
    )
    result = job.render(1)
    assert result.image.shape == (90, 160, 4)
    np.testing.assert_array_equal(result.image[:, :80], frames[1][:, :80])
    assert not np.array_equal(result.image[:, 80:, :3], frames[1][:, 80:, :3])
    np.testing.assert_allclose(result.image[..., 3], 0.5, atol=1e-6)


def test_progress_and_cancel(known_answer) -> None:
    frames = dict(list(known_answer.flickering.items())[:3])
    plate = dict(list(known_answer.plate.items())[:3])
    events: list[ProgressEvent] = []
    job = Deflicker(
        MemoryFrames(frames),
        MemoryFrames(plate),
        options=DeflickerOptions(window=1),
        progress=events.append,
    )
    job.run(lambda frame, result: None)
    stages = [e.stage for e in events if e.stage != "synthesizing"]
    assert stages.count("remap") == 4 and stages.count("output") == 3
    assert events[-1].done == events[-1].total == 7
    cancel = threading.Event()

    def stop_after_first(event: ProgressEvent) -> None:
        if event.stage == "remap":
            cancel.set()

    job = Deflicker(
        MemoryFrames(frames),
        MemoryFrames(plate),
        options=DeflickerOptions(window=1),
        progress=stop_after_first,
        cancel=cancel,
    )
    with pytest.raises(CancelledError, match="frame"):
        job.run(lambda frame, result: None)


def test_exception(known_answer) -> None:
    frames = dict(list(known_answer.flickering.items())[:4])
    plate = dict(list(known_answer.plate.items())[:4])
    with pytest.raises(InputError, match="window must be >= 1, got 0"):
        DeflickerOptions(window=0)
    with pytest.raises(InputError, match="mode must be one of"):
        DeflickerOptions(mode="slow")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"window 4 reaches past the whole shot .* at most 3"):
        Deflicker(MemoryFrames(frames), MemoryFrames(plate), options=DeflickerOptions(window=4))
    small = {f: p[::2, ::2] for f, p in plate.items()}
    with pytest.raises(InputError, match="guide frame 0 is 80x45, the render is 160x90"):
        Deflicker(MemoryFrames(frames), MemoryFrames(small), options=DeflickerOptions(window=1))
    short = dict(list(plate.items())[:3])
    with pytest.raises(InputError, match="the guide frames are 0-2, the render needs 0-3"):
        Deflicker(MemoryFrames(frames), MemoryFrames(short), options=DeflickerOptions(window=1))
    odd = {**frames, 2: frames[2][:, :100]}
    job = Deflicker(MemoryFrames(odd), MemoryFrames(plate), options=DeflickerOptions(window=1))
    with pytest.raises(InputError, match="render frame 2 is 100x90"):
        job.render(1)
    with pytest.raises(InputError, match="frame 7 is outside the shot 0-3"):
        job.render(7)


def test_options_round_trip() -> None:
    options = DeflickerOptions(mode="fast", window=3, guide_weight=4.0)
    assert DeflickerOptions.from_dict(options.to_dict()) == options
    threaded = DeflickerOptions(
        mode="fast", window=3, guide_weight=4.0,
        engine=dataclasses.replace(DEFLICKER_ENGINE_PARAMS, threads=2),
    )  # fmt: skip
    assert threaded.fingerprint() == options.fingerprint()  # threads never change a pixel
    assert DeflickerOptions(window=4).fingerprint() != DeflickerOptions(window=5).fingerprint()
    with pytest.raises(InputError, match="unknown deflicker option"):
        DeflickerOptions.from_dict({"windw": 3})
