# SPDX-License-Identifier: Apache-2.0
"""A starting NNF (synthesize(initial_nnf=...)): honoured, validated, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from synthfx.engine import synthesize
from synthfx.errors import EngineError

# Few iterations: where a good seed must show.
FEW = {"search_vote_iters": 1, "patchmatch_iters": 1, "threads": 2}
DX, DY = 7, -4


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


@pytest.fixture(scope="module")
def crop(photo: np.ndarray) -> np.ndarray:
    """A textured 128x160 crop of a real painting."""
    return np.ascontiguousarray(photo[300:428, 420:580])


@pytest.fixture(scope="module")
def shift(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The crop moved by (DX, DY) with wrap-around, and its true NNF."""
    height, width = crop.shape[:2]
    target = np.roll(crop, (DY, DX), axis=(0, 1))
    yy, xx = np.mgrid[0:height, 0:width]
    truth = np.stack([(xx - DX) % width, (yy - DY) % height], axis=-1).astype(np.int32)
    return target, truth


def interior(a: np.ndarray) -> np.ndarray:
    return a[12:-12, 12:-12]


def test_seed_is_honoured_at_fewer_iterations(crop: np.ndarray, shift) -> None:
    target, truth = shift
    guides = [(crop, target, 1.0)]
    unseeded = synthesize(crop, guides, **FEW)
    seeded = synthesize(crop, guides, initial_nnf=truth, initial_nnf_levels=1, **FEW)
    exact = np.all(interior(seeded.nnf) == interior(truth), axis=-1)
    assert exact.mean() > 0.99
    seeded_psnr = psnr(interior(seeded.image), interior(target))
    assert seeded_psnr > 40.0
    assert seeded_psnr >= psnr(interior(unseeded.image), interior(target))


def test_seed_from_coarser_levels_still_finds_the_shift(crop: np.ndarray, shift) -> None:
    # Upsampling (2 n + x mod 2) cannot hold an odd shift: the finest level must repair half of
    # it, which one iteration does not (41% exact), three do.
    target, truth = shift
    result = synthesize(
        crop,
        [(crop, target, 1.0)],
        initial_nnf=truth,
        initial_nnf_levels=3,
        uniformity=0.0,
        search_vote_iters=3,
        patchmatch_iters=3,
        threads=2,
    )
    exact = np.all(interior(result.nnf) == interior(truth), axis=-1)
    assert exact.mean() > 0.95


def test_a_wrong_seed_changes_the_result(crop: np.ndarray, shift) -> None:
    # Proof the seed is read at all: a seed pointing at one corner steers the few iterations.
    target, truth = shift
    corner = np.zeros_like(truth)
    a = synthesize(crop, [(crop, target, 1.0)], initial_nnf=truth, **FEW)
    b = synthesize(crop, [(crop, target, 1.0)], initial_nnf=corner, **FEW)
    assert not np.array_equal(a.nnf, b.nnf)


@pytest.mark.parametrize("levels", [1, 2])
def test_deterministic_across_runs_and_thread_counts(crop: np.ndarray, shift, levels: int) -> None:
    target, truth = shift
    seed = np.ascontiguousarray(np.roll(truth, 3, axis=1))  # a rough seed: work left to do
    results = [
        synthesize(
            crop,
            [(crop, target, 1.0)],
            initial_nnf=seed,
            initial_nnf_levels=levels,
            search_vote_iters=2,
            threads=threads,
        )
        for threads in (1, 2, 2)
    ]
    for other in results[1:]:
        assert np.array_equal(other.image, results[0].image)
        assert np.array_equal(other.nnf, results[0].nnf)
        assert np.array_equal(other.error, results[0].error)


def test_masked_seed_centres_are_redrawn(crop: np.ndarray, shift) -> None:
    target, truth = shift
    mask = np.ones(crop.shape[:2], np.float32)
    mask[:, :40] = 0.0  # the seed points there for a quarter of the frame
    result = synthesize(
        crop,
        [(crop, target, 1.0)],
        source_mask=mask,
        initial_nnf=truth,
        initial_nnf_levels=1,
        **FEW,
    )
    assert result.nnf[..., 0].min() >= 40


def test_progress_with_a_seed_is_complete_and_monotone(crop: np.ndarray, shift) -> None:
    target, truth = shift
    fractions: list[float] = []
    synthesize(
        crop,
        [(crop, target, 1.0)],
        initial_nnf=truth,
        initial_nnf_levels=2,
        progress=lambda f: fractions.append(f) and False,
        **FEW,
    )
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert fractions[-2] > 0.5  # the plan counts only the levels that run


def bad(truth: np.ndarray, x: int, y: int, value: tuple[int, int]) -> np.ndarray:
    seed = truth.copy()
    seed[y, x] = value
    return seed


@pytest.mark.parametrize(
    ("make", "levels", "code", "message"),
    [
        (lambda t: bad(t, 3, 2, (160, 0)), 1, "invalid_argument", r"\(160, 0\) at target x=3 y=2"),
        (lambda t: bad(t, 0, 5, (0, -1)), 1, "invalid_argument", r"\(0, -1\).*outside the 160x128"),
        (lambda t: np.ascontiguousarray(t[:-1]), 1, "size_mismatch", "160x127 but the target"),
        (lambda t: t, 0, "invalid_argument", r"initial_nnf_levels must be in \[1, \d+\] \(got 0\)"),
        (lambda t: t, 40, "invalid_argument", r"\(got 40\)"),
    ],
)
def test_exception(crop: np.ndarray, shift, make, levels: int, code: str, message: str) -> None:
    target, truth = shift
    with pytest.raises(EngineError, match=message) as caught:
        synthesize(crop, [(crop, target, 1.0)], initial_nnf=make(truth), initial_nnf_levels=levels)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (np.zeros((128, 160), np.int32), r"must be \(H, W, 2\)"),
        (np.zeros((128, 160, 2), np.float32), "must hold integers"),
        (np.full((128, 160, 2), 2**40, np.int64), "does not fit int32"),
    ],
)
def test_exception_python_side(crop: np.ndarray, seed: np.ndarray, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        synthesize(crop, [(crop, crop, 1.0)], initial_nnf=seed)
