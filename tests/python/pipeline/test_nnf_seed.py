# SPDX-License-Identifier: Apache-2.0
"""Temporal NNF seeding: the carried NNF, and seeded passes (keys, determinism, resuming)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.pipeline import MemoryFrames, StylizeOptions, Stylizer, painterly
from synthfx.pipeline.nnf_seed import carry_nnf, identity_nnf
from synthfx.pipeline.passes import (
    PASS_KIND,
    _seed_levels,
    entry_nnf,
    entry_positions,
    pass_frame_keys,
)

FAST = StylizeOptions()
FAST = dataclasses.replace(
    FAST, engine=dataclasses.replace(FAST.engine, search_vote_iters=4, patchmatch_iters=3)
)
SEEDED = dataclasses.replace(FAST, nnf_seed_levels=2)
UNSEEDED = dataclasses.replace(FAST, nnf_seed_levels=0)


def test_identity_nnf() -> None:
    nnf = identity_nnf(3, 4)
    assert nnf.shape == (3, 4, 2) and nnf.dtype == np.int32
    assert nnf[2, 3].tolist() == [3, 2] and nnf[0, 1].tolist() == [1, 0]


def test_carry_nnf_follows_the_flow_and_clamps_at_the_border() -> None:
    height, width = 6, 8
    previous = (identity_nnf(height, width) * 10).astype(np.int32)
    flow = np.zeros((height, width, 2), np.float32)
    flow[..., 0] = 2.4  # content now at x was at x + 2.4 before: rounds to x + 2
    flow[..., 1] = -0.6  # and at y - 1
    seed = carry_nnf(previous, flow)
    assert seed.dtype == np.int32 and seed.shape == previous.shape
    assert seed[3, 1].tolist() == [30, 20]
    assert seed[0, 0].tolist() == [20, 0]  # y - 1 is outside: the top row's match
    assert seed[4, 7].tolist() == [70, 30]  # x + 2 is outside: the right column's match


def test_carry_nnf_without_motion_is_the_previous_nnf() -> None:
    previous = np.ascontiguousarray(identity_nnf(5, 7)[::-1])
    assert np.array_equal(carry_nnf(previous, np.zeros((5, 7, 2), np.float32)), previous)


@pytest.fixture(scope="module")
def shot(bbb_tiny: dict[int, np.ndarray]) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    keys = {0: painterly(bbb_tiny[0]), 4: painterly(bbb_tiny[4])}
    return bbb_tiny, keys


def run_all(stylizer: Stylizer) -> dict[int, np.ndarray]:
    outputs: dict[int, np.ndarray] = {}
    stylizer.run(lambda frame, result: outputs.__setitem__(frame, result.image))
    return outputs


def test_seeded_keys_are_exact_and_frames_follow_the_video(shot, tmp_path: Path) -> None:
    frames, keys = shot
    seeded = run_all(Stylizer(MemoryFrames(frames), keys, options=SEEDED, cache_dir=tmp_path))
    for key, style in keys.items():
        np.testing.assert_array_equal(seeded[key][..., :3], style)
    truth = painterly(frames[2])
    error = np.abs(seeded[2][..., :3] - truth).mean()
    assert error < 0.8 * min(np.abs(key - truth).mean() for key in keys.values())
    unseeded = run_all(Stylizer(MemoryFrames(frames), keys, options=UNSEEDED, cache_dir=tmp_path))
    assert not np.array_equal(seeded[2], unseeded[2])  # the option reaches the engine


def test_stored_frames_hold_their_nnf(shot, tmp_path: Path) -> None:
    frames, keys = shot
    stylizer = Stylizer(MemoryFrames(frames), keys, options=SEEDED, cache_dir=tmp_path)
    run_all(stylizer)
    forward = next(p for p in stylizer.plan.passes if p.key == 0)
    key = pass_frame_keys(stylizer._context(), forward)[0]
    entry = stylizer.store.get_array(PASS_KIND, key)
    assert entry is not None and entry.shape == (72, 128, 3 + 5)  # RGB, NNF, positions, error
    positions = entry_positions(entry)
    assert positions.min() >= 0.0 and positions.max() < 1.0
    nnf = entry_nnf(entry)
    assert nnf.min() >= 0 and nnf[..., 0].max() < 128 and nnf[..., 1].max() < 72
    # Frame 1 copies from key 0 mostly in place (the clip moves slowly there).
    moved = np.abs(nnf - identity_nnf(72, 128)).max(axis=-1)
    assert np.median(moved) <= 3


def test_seeded_deterministic_across_thread_counts(shot, tmp_path: Path) -> None:
    frames, keys = shot
    results = []
    for threads in (1, 2):
        options = dataclasses.replace(
            SEEDED, engine=dataclasses.replace(SEEDED.engine, threads=threads)
        )
        stylizer = Stylizer(
            MemoryFrames(frames), keys, options=options, cache_dir=tmp_path / str(threads)
        )
        results.append(run_all(stylizer))
    for frame in frames:
        np.testing.assert_array_equal(results[0][frame], results[1][frame])


@pytest.mark.parametrize("levels", [-1, 33])
def test_bad_seed_levels(levels: int) -> None:
    with pytest.raises(InputError, match="nnf_seed_levels"):
        StylizeOptions(nnf_seed_levels=levels)


def test_the_cuda_engine_is_not_seeded() -> None:
    """The CUDA backend has no seeded synthesis: its passes match every frame from scratch
    instead of failing on the default option."""
    inputs = SimpleNamespace(height=64, width=96)
    cpu = SimpleNamespace(engine=SEEDED.engine, options=SEEDED, inputs=inputs)
    assert _seed_levels(cpu) == 2  # type: ignore[arg-type]
    cuda_engine = dataclasses.replace(SEEDED.engine, backend="cuda")
    cuda = SimpleNamespace(engine=cuda_engine, options=SEEDED, inputs=inputs)
    assert _seed_levels(cuda) == 0  # type: ignore[arg-type]
