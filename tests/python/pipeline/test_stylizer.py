# SPDX-License-Identifier: Apache-2.0
"""The Stylizer on real frames: determinism, resuming, random access, keys, masks, errors."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest

from synthfx import progress as progress_module
from synthfx.engine import SynthesisParams
from synthfx.errors import CancelledError, InputError
from synthfx.io import digest as digest_module
from synthfx.pipeline import MemoryFrames, ProgressEvent, StylizeOptions, Stylizer, painterly
from synthfx.pipeline import stylizer as stylizer_module
from synthfx.pipeline.passes import PASS_KIND

FAST = StylizeOptions()
FAST = dataclasses.replace(
    FAST, engine=dataclasses.replace(FAST.engine, search_vote_iters=4, patchmatch_iters=3)
)


@pytest.fixture(scope="module")
def shot(bbb_tiny: dict[int, np.ndarray]) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    keys = {0: painterly(bbb_tiny[0]), 4: painterly(bbb_tiny[4])}
    return bbb_tiny, keys


def run_all(stylizer: Stylizer) -> dict[int, np.ndarray]:
    outputs: dict[int, np.ndarray] = {}
    stylizer.run(lambda frame, result: outputs.__setitem__(frame, result.image))
    return outputs


def test_output_is_rgba_and_keys_are_exact(shot, tmp_path: Path) -> None:
    frames, keys = shot
    outputs = run_all(Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path))
    assert sorted(outputs) == [0, 1, 2, 3, 4]
    for image in outputs.values():
        assert image.shape == (72, 128, 4) and image.dtype == np.float32
        assert np.all(image[..., 3] == 1.0)
    for key, style in keys.items():
        np.testing.assert_array_equal(outputs[key][..., :3], style)
    # Propagated frames follow the video: closer to the true answer than either key is.
    truth = painterly(frames[2])
    error = np.abs(outputs[2][..., :3] - truth).mean()
    assert error < 0.8 * min(np.abs(key - truth).mean() for key in keys.values())


def test_deterministic_across_caches_and_thread_counts(shot, tmp_path: Path) -> None:
    frames, keys = shot
    results = []
    for threads in (1, 2):
        options = dataclasses.replace(
            FAST, engine=dataclasses.replace(FAST.engine, threads=threads)
        )
        stylizer = Stylizer(
            MemoryFrames(frames), keys, options=options, cache_dir=tmp_path / str(threads)
        )
        results.append(run_all(stylizer))
    for frame in frames:
        np.testing.assert_array_equal(results[0][frame], results[1][frame])


def test_rerun_reuses_the_store(shot, tmp_path: Path) -> None:
    frames, keys = shot
    first = run_all(Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path))
    again = Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path)
    second = run_all(again)
    assert again.times.as_dict()["synthesis"] == 0.0
    for frame in frames:
        np.testing.assert_array_equal(first[frame], second[frame])


def test_changed_frame_invalidates_only_what_depends_on_it(shot, tmp_path: Path) -> None:
    frames, keys = shot
    run_all(Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path))
    edited = dict(frames)
    edited[3] = np.ascontiguousarray(frames[3][:, ::-1])
    synthesized: list[int] = []

    def progress(event: ProgressEvent) -> None:
        synthesized.append(event.frame) if event.stage == "synthesis" else None

    stylizer = Stylizer(
        MemoryFrames(edited), keys, options=FAST, cache_dir=tmp_path, progress=progress
    )
    run_all(stylizer)
    # Every pass frame is reported; only the forward pass's frame 3 and the reverse pass's
    # frames 3, 2, 1 (which come after the edit in processing order) were recomputed.
    assert stylizer.times.as_dict()["synthesis"] > 0.0
    assert sorted(synthesized) == [1, 1, 2, 2, 3, 3]


@pytest.mark.parametrize("seed_levels", [0, 1, 2])
def test_cancel_then_resume_equals_an_uninterrupted_run(
    shot, tmp_path: Path, seed_levels: int
) -> None:
    # Seeded (1, 2): the frame after the last stored one is seeded from the stored NNF, giving
    # the same bits as when the NNF came straight from the engine.
    frames, keys = shot
    options = dataclasses.replace(FAST, nnf_seed_levels=seed_levels)
    reference = run_all(
        Stylizer(MemoryFrames(frames), keys, options=options, cache_dir=tmp_path / "a")
    )
    cancel = threading.Event()

    def stop_after_two(event: ProgressEvent) -> None:
        if event.stage == "synthesis" and event.done >= 2:
            cancel.set()

    interrupted = Stylizer(
        MemoryFrames(frames),
        keys,
        options=options,
        cache_dir=tmp_path / "b",
        progress=stop_after_two,
        cancel=cancel,
    )
    with pytest.raises(CancelledError, match="cancelled before frame"):
        run_all(interrupted)
    resumed = Stylizer(MemoryFrames(frames), keys, options=options, cache_dir=tmp_path / "b")
    outputs = run_all(resumed)
    assert resumed.times.as_dict()["synthesis"] > 0.0  # something was left to do
    for frame in frames:
        np.testing.assert_array_equal(outputs[frame], reference[frame])


def test_cancel_during_a_synthesis_stores_nothing_partial(
    shot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel set while the engine works on the first pass frame stops that synthesis at its
    next PatchMatch iteration; nothing of the frame is stored, and a rerun completes."""
    frames, keys = shot
    reference = run_all(
        Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path / "a")
    )
    # Report every engine step (these tiny frames take less than the usual interval).
    monkeypatch.setattr(progress_module, "SYNTHESIS_EVENT_INTERVAL_S", 0.0)
    cancel = threading.Event()
    events: list[ProgressEvent] = []

    def cancel_mid_synthesis(event: ProgressEvent) -> None:
        events.append(event)
        if event.stage == "synthesizing" and event.fraction is not None and event.fraction > 0.3:
            cancel.set()

    interrupted = Stylizer(
        MemoryFrames(frames),
        keys,
        options=FAST,
        cache_dir=tmp_path / "b",
        progress=cancel_mid_synthesis,
        cancel=cancel,
    )
    with pytest.raises(CancelledError, match=r"cancelled during the synthesis of frame (\d)"):
        run_all(interrupted)
    # The keyframe went out, then the first pass frame was being synthesized; no event came
    # after the cancel.
    assert (events[0].stage, events[0].frame) == ("output", 0)
    synthesizing = events[1:]
    assert synthesizing and all(e.stage == "synthesizing" for e in synthesizing)
    assert len({e.frame for e in synthesizing}) == 1
    fractions = [e.fraction for e in synthesizing]
    assert all(f is not None and 0.0 < f < 1.0 for f in fractions)
    assert fractions == sorted(fractions) and fractions[-1] > 0.3 >= fractions[-2]
    assert all(e.done == 1 and e.total == events[0].total for e in synthesizing)
    # Nothing stored for any pass frame, no stray temporary file.
    for index in range(len(interrupted.plan.passes)):
        keys_of_pass = interrupted._keys_of_pass(index)
        assert not any(interrupted.store.has(PASS_KIND, key) for key in keys_of_pass)
    assert not list((tmp_path / "b" / PASS_KIND).rglob("*.npy"))
    assert not [p for p in (tmp_path / "b").rglob("*") if ".tmp-" in p.name]
    # A rerun on the same store completes and equals an uninterrupted run.
    resumed = run_all(Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path / "b"))
    for frame in frames:
        np.testing.assert_array_equal(resumed[frame], reference[frame])


def test_render_gives_random_access_equal_to_run(shot, tmp_path: Path) -> None:
    frames, keys = shot
    reference = run_all(
        Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path / "a")
    )
    stylizer = Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path / "b")
    assert stylizer.segment_of(3) == range(0, 5)
    assert stylizer.segment_of(0) == range(0, 1)
    for frame in (3, 1, 0, 2):
        result = stylizer.render(frame)
        np.testing.assert_array_equal(result.image, reference[frame])
        assert result.error.shape == (72, 128)
    assert stylizer.render(0).error.max() == 0.0
    assert stylizer.render(2).error.mean() > 0.0
    with pytest.raises(InputError, match="frame 9 is outside"):
        stylizer.render(9)


def test_pass_frames_are_blended_from_memory_not_read_back(
    shot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stores every pass frame but blends the ones it just synthesized from memory; with
    no memory for them it reads them back, and the outputs are the same bits."""
    frames, keys = shot
    reads: list[str] = []  # the kinds of the entries read from the store

    def counting(store_get):
        def get_array(kind: str, key: str):
            entry = store_get(kind, key)
            if entry is not None:
                reads.append(kind)
            return entry

        return get_array

    stylizer = Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path / "a")
    monkeypatch.setattr(stylizer.store, "get_array", counting(stylizer.store.get_array))
    in_memory = run_all(stylizer)
    assert PASS_KIND not in reads
    keys_of_passes = [stylizer._keys_of_pass(i) for i in range(len(stylizer.plan.passes))]
    assert all(stylizer.store.has(PASS_KIND, k) for keys in keys_of_passes for k in keys)

    monkeypatch.setattr(stylizer_module, "FRESH_PASS_BYTES", 0)
    reads.clear()
    stylizer = Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path / "b")
    monkeypatch.setattr(stylizer.store, "get_array", counting(stylizer.store.get_array))
    read_back = run_all(stylizer)
    assert reads.count(PASS_KIND) == sum(len(run.frames) for run in stylizer.plan.passes)
    for frame, image in in_memory.items():
        np.testing.assert_array_equal(image, read_back[frame])


def test_each_frame_is_hashed_once(shot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The frames' digests key the passes, the finals and the flows: each frame and each style
    is hashed once per job."""
    frames, keys = shot
    hashed: list[tuple[int, ...]] = []
    real = digest_module.hash_array_into
    monkeypatch.setattr(
        digest_module, "hash_array_into", lambda d, a: (hashed.append(a.shape), real(d, a))
    )
    run_all(Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path))
    assert len(hashed) == len(frames) + len(keys)


def test_single_key_propagates_both_ways(shot, tmp_path: Path) -> None:
    frames, _ = shot
    stylizer = Stylizer(
        MemoryFrames(frames), {2: painterly(frames[2])}, options=FAST, cache_dir=tmp_path
    )
    assert [(run.key, run.direction) for run in stylizer.plan.passes] == [
        (2, "reverse"),
        (2, "forward"),
    ]
    outputs = run_all(stylizer)
    assert sorted(outputs) == [0, 1, 2, 3, 4]


def half_mask(frames: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    mask = np.zeros((72, 128, 1), np.float32)
    mask[:, 64:] = 1.0
    return {frame: mask for frame in frames}


def test_mask_after_premultiplied(shot, tmp_path: Path) -> None:
    frames, keys = shot
    outputs = run_all(
        Stylizer(
            MemoryFrames(frames),
            keys,
            mask=MemoryFrames(half_mask(frames)),
            options=FAST,
            cache_dir=tmp_path,
        )
    )
    for image in outputs.values():
        assert np.all(image[:, :64] == 0.0)
        assert np.all(image[:, 64:, 3] == 1.0)


def test_mask_over_source_with_feather(shot, tmp_path: Path) -> None:
    frames, keys = shot
    options = dataclasses.replace(FAST, mask_output="over-source", feather=4.0)
    outputs = run_all(
        Stylizer(
            MemoryFrames(frames),
            keys,
            mask=MemoryFrames(half_mask(frames)),
            options=options,
            cache_dir=tmp_path,
        )
    )
    for frame, image in outputs.items():
        np.testing.assert_allclose(image[:, :40, :3], frames[frame][:, :40], atol=1e-6)
        assert np.all(image[..., 3] == 1.0)
        # Feathered: a soft transition around the mask edge.
        column = image[36, 56:72, :3]
        assert np.all(np.isfinite(column))


def test_mask_before_copies_only_from_inside_the_key_mask(shot, tmp_path: Path) -> None:
    frames, _ = shot
    # Style: pure red outside the mask, the painterly frame inside.
    keys = {}
    for key in (0, 4):
        style = painterly(frames[key])
        style[:, :64] = (1.0, 0.0, 0.0)
        keys[key] = style
    options = dataclasses.replace(FAST, mask_mode="before")
    outputs = run_all(
        Stylizer(
            MemoryFrames(frames),
            keys,
            mask=MemoryFrames(half_mask(frames)),
            options=options,
            cache_dir=tmp_path,
        )
    )
    for frame in (1, 2, 3):
        inside = outputs[frame][:, 68:, :3]
        redness = inside[..., 0] - inside[..., 1:].max(axis=2)
        assert redness.max() < 0.5
    # The carried keys would copy across the mask edge: Before mode blends by errors only.
    unmixed = run_all(
        Stylizer(
            MemoryFrames(frames),
            keys,
            mask=MemoryFrames(half_mask(frames)),
            options=dataclasses.replace(options, carried_key_mixing=0.0),
            cache_dir=tmp_path,
        )
    )
    for frame in (1, 2, 3):
        np.testing.assert_array_equal(unmixed[frame], outputs[frame])


def test_mask_before_without_a_mask_is_mask_after(shot, tmp_path: Path) -> None:
    # No mask guides the passes, so the carried keys are mixed in as in After mode.
    frames, keys = shot
    outputs = {
        mode: run_all(
            Stylizer(
                MemoryFrames(frames),
                keys,
                options=dataclasses.replace(FAST, mask_mode=mode),
                cache_dir=tmp_path / mode,
            )
        )
        for mode in ("after", "before")
    }
    for frame in frames:
        np.testing.assert_array_equal(outputs["before"][frame], outputs["after"][frame])


def test_key_alpha_is_propagated(shot, tmp_path: Path) -> None:
    frames, _ = shot
    keys = {}
    for key in (0, 4):
        alpha = np.zeros((72, 128, 1), np.float32)
        alpha[20:50, 30:90] = 1.0
        keys[key] = np.concatenate([painterly(frames[key]) * alpha, alpha], axis=2)
    outputs = run_all(Stylizer(MemoryFrames(frames), keys, options=FAST, cache_dir=tmp_path))
    np.testing.assert_array_equal(outputs[0], keys[0])
    alpha = outputs[2][..., 3]
    assert alpha[35, 60] > 0.9 and alpha[5, 5] < 0.1


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "no keyframes given"),
        ({7: np.zeros((72, 128, 3), np.float32)}, r"keyframe\(s\) 7 outside the frame range 0-4"),
        ({0: np.zeros((70, 128, 3), np.float32)}, "keyframe 0 style is 128x70, the frames are"),
        ({0: np.zeros((72, 128, 5), np.float32)}, "keyframe 0 style has 5 channels"),
        ({0: np.zeros((72, 128, 3), np.uint8)}, "must hold float pixels, got dtype uint8"),
        (
            {0: np.zeros((72, 128, 3), np.float32), 4: np.zeros((72, 128, 4), np.float32)},
            r"keyframe styles differ in channel count \(0: 3, 4: 4\)",
        ),
        ({0: np.full((72, 128, 3), np.nan, np.float32)}, "contains NaN"),
    ],
)
def test_bad_keys(shot, keys, message: str) -> None:
    frames, _ = shot
    with pytest.raises(InputError, match=message):
        Stylizer(MemoryFrames(frames), keys)


def test_bad_frames_and_masks(shot) -> None:
    frames, keys = shot
    odd = dict(frames)
    odd[3] = frames[3][:60]
    stylizer = Stylizer(MemoryFrames(odd), keys, options=FAST)
    with pytest.raises(InputError, match="frame 3 is 128x60, frame 0 is 128x72"):
        run_all(stylizer)
    short_mask = {f: np.ones((72, 128), np.float32) for f in range(0, 3)}
    with pytest.raises(InputError, match="the mask covers frames 0-2, the shot needs 0-4"):
        Stylizer(MemoryFrames(frames), keys, mask=MemoryFrames(short_mask))
    with pytest.raises(InputError, match="frames missing from the shot: 2"):
        MemoryFrames({f: frames[f] for f in (0, 1, 3)})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"edge": "sobel"}, "edge must be one of 'classic', 'pst', 'page'; got 'sobel'"),
        ({"only": "both"}, "only must be one of"),
        ({"image_weight": -1.0}, "image_weight must be finite and >= 0, got -1.0"),
        ({"feather": float("nan")}, "feather must be finite"),
        ({"mask_mode": "during"}, "mask_mode must be one of"),
    ],
)
def test_bad_options(changes: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        StylizeOptions(**changes)


def test_options_round_trip_and_unknown_keys() -> None:
    options = dataclasses.replace(FAST, edge="pst", feather=2.5)
    assert StylizeOptions.from_dict(options.to_dict()) == options
    with pytest.raises(InputError, match="unknown stylize option"):
        StylizeOptions.from_dict({"edges": "pst"})
    with pytest.raises(InputError, match="unknown engine option"):
        StylizeOptions.from_dict({"engine": {"patch": 5}})
    # Engine keys left out keep the default engine's values, not SynthesisParams' own.
    partial = StylizeOptions.from_dict({"engine": {"patchmatch_iters": 3}})
    assert partial.engine == dataclasses.replace(StylizeOptions().engine, patchmatch_iters=3)
    assert partial.engine.patch_size == 7 and SynthesisParams().patch_size != 7
    # Thread count never changes a pixel, so it is not part of the cache identity.
    more_threads = dataclasses.replace(FAST, engine=dataclasses.replace(FAST.engine, threads=7))
    assert more_threads.fingerprint() == FAST.fingerprint()
    assert dataclasses.replace(FAST, only="forward").pass_fingerprint() == FAST.pass_fingerprint()
    assert dataclasses.replace(FAST, edge="pst").pass_fingerprint() != FAST.pass_fingerprint()


def test_bad_flow_spec(shot) -> None:
    frames, keys = shot
    with pytest.raises(InputError, match=r"RAFT weights not found: /no/such\.pth"):
        Stylizer(
            MemoryFrames(frames), keys, options=dataclasses.replace(FAST, flow="raft:/no/such.pth")
        )
