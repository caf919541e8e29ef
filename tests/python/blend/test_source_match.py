# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.blend.source_match import Candidate, mix_candidates, source_colour_error
from synthfx.errors import InputError
from synthfx.flow.warp import sample_at

SHAPE = (12, 16)


def grid() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype(np.float32)
    return x, y


def candidate(value: float, key_colour: float) -> Candidate:
    x, y = grid()
    image = np.full((*SHAPE, 4), value, np.float32)
    return Candidate(image, np.full((*SHAPE, 3), key_colour, np.float32), x, y)


def test_sampling_at_whole_pixels_reproduces_any_channel_count() -> None:
    rng = np.random.default_rng(3)
    image = rng.random((*SHAPE, 7), dtype=np.float32)
    x, y = grid()
    np.testing.assert_array_equal(sample_at(image, x, y), image)
    shifted = sample_at(image, x + 0.5, y)
    np.testing.assert_allclose(shifted[:, 3, 6], 0.5 * (image[:, 3, 6] + image[:, 4, 6]), rtol=1e-5)
    assert sample_at(image[..., 0], x, y).shape == SHAPE


def test_cubic_sampling_keeps_a_thin_line_that_bilinear_halves_without_overshoot() -> None:
    rng = np.random.default_rng(4)
    image = rng.random((*SHAPE, 7), dtype=np.float32)
    x, y = grid()
    np.testing.assert_allclose(sample_at(image, x, y, interpolation="cubic"), image, atol=1e-6)
    line = np.zeros(SHAPE, np.float32)
    line[:, 8] = 1.0
    # Halfway between columns 7 and 8 (and 8 and 9): Keys' weights 0.59375 and -0.09375.
    linear = sample_at(line, x + 0.5, y)
    cubic = sample_at(line, x + 0.5, y, interpolation="cubic")
    np.testing.assert_allclose(linear[:, 7:9], 0.5, atol=1e-6)
    np.testing.assert_allclose(cubic[:, 7:9], 0.59375, atol=1e-3)
    # Clamped to the neighbours' range: no dark halo (unclamped, -0.09375 at columns 6 and 9).
    np.testing.assert_array_equal(cubic[:, [6, 9]], 0.0)


def test_unknown_interpolation_is_named() -> None:
    x, y = grid()
    with pytest.raises(InputError, match=r"unknown interpolation 'nearest'.*linear, cubic"):
        sample_at(np.zeros(SHAPE, np.float32), x, y, interpolation="nearest")


def test_source_colour_error_reads_the_key_at_the_source_places() -> None:
    frame = np.zeros((*SHAPE, 3), np.float32)
    frame[:, 8:] = 1.0
    x, y = grid()
    key = frame[:, ::-1].copy()  # the key shows the frame mirrored
    straight = Candidate(np.zeros((*SHAPE, 3), np.float32), key, x, y)
    mirrored = Candidate(straight.image, key, SHAPE[1] - 1 - x, y)
    assert source_colour_error(frame, mirrored, sigma=0).max() == 0.0
    assert source_colour_error(frame, straight, sigma=0).mean() == 1.0


def test_the_matching_candidate_wins_and_close_ones_mix() -> None:
    frame = np.full((*SHAPE, 3), 0.5, np.float32)
    exact, off, far = candidate(0.2, 0.5), candidate(0.8, 0.6), candidate(0.9, 1.5)
    # Errors 0 and 0.01 (mean 0.005): off's weight is exp(-0.01 / (0.5 * 0.005)) = exp(-4).
    w = np.exp(-4.0)
    expected = (0.2 + w * 0.8) / (1.0 + w)
    np.testing.assert_allclose(mix_candidates(frame, [exact, off], 0.5), expected, rtol=1e-5)
    # The weights follow the errors' ratio, not their scale: errors 0 and 1 weigh the same.
    expected = (0.2 + w * 0.9) / (1.0 + w)
    np.testing.assert_allclose(mix_candidates(frame, [exact, far], 0.5), expected, rtol=1e-5)
    # Low softness: e^-40 is below float32's resolution of 0.2.
    np.testing.assert_array_equal(mix_candidates(frame, [exact, far], 0.05), exact.image)
    np.testing.assert_allclose(mix_candidates(frame, [off, off], 0.5), off.image)


@pytest.mark.parametrize("softness", [0.0, -1.0, float("nan")])
def test_softness_must_be_positive(softness: float) -> None:
    frame = np.zeros((*SHAPE, 3), np.float32)
    with pytest.raises(InputError, match="mixing softness must be > 0"):
        mix_candidates(frame, [candidate(0.0, 0.0)], softness)


def test_no_candidates_or_mismatched_ones_are_named() -> None:
    frame = np.zeros((*SHAPE, 3), np.float32)
    with pytest.raises(InputError, match="at least one candidate"):
        mix_candidates(frame, [])
    small = Candidate(np.zeros((4, 4, 4), np.float32), frame, *grid())
    with pytest.raises(InputError, match=r"candidate 1: image \(4, 4, 4\)"):
        mix_candidates(frame, [candidate(0.0, 0.0), small])
