# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from synthfx.blend import detail
from synthfx.blend.detail import restore_detail
from synthfx.blend.source_match import Candidate
from synthfx.errors import InputError

SHAPE = (24, 32)
BACKGROUND = 0.8


def lined(columns: tuple[int, ...], channels: int = 3) -> np.ndarray:
    """A flat background with one-pixel dark vertical lines."""
    image = np.full((*SHAPE, channels), BACKGROUND, np.float32)
    for column in columns:
        image[:, column] = 0.1
    return image


def identity(image: np.ndarray, key: np.ndarray) -> Candidate:
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype(np.float32)
    return Candidate(image, key[..., :3], x, y)


def blurred(image: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma))


def line_depth(image: np.ndarray, column: int) -> float:
    """How far the line's centre sits below the background."""
    return float(BACKGROUND - image[SHAPE[0] // 2, column, 0])


def restore(candidates: list[Candidate], key: np.ndarray, strength: float = 1.0) -> np.ndarray:
    weights = np.full((len(candidates), *SHAPE), 1.0 / len(candidates))
    mixed = np.mean([c.image for c in candidates], axis=0).astype(np.float32)
    return restore_detail(mixed, candidates, weights, [key] * len(candidates), strength)


def test_blurred_lines_get_their_keys_contrast_back_without_a_halo() -> None:
    # Two resamplings of the key, one softer than the other (a pass's votes, a cubic sample).
    key = lined((16,), channels=5)
    soft, softer = (identity(blurred(key, sigma), key) for sigma in (0.6, 1.0))
    mixed = 0.5 * (soft.image + softer.image)
    restored = restore([soft, softer], key)
    assert line_depth(restored, 16) > line_depth(mixed, 16) + 0.08
    error = lambda image: float(np.mean((image - key) ** 2))  # noqa: E731
    assert error(restored) < 0.75 * error(mixed)
    # Clamped to the candidates' values around each pixel: nothing brighter than the
    # background beside the line, nothing darker than the sharper candidate's line.
    assert restored.max() <= BACKGROUND and restored.min() >= soft.image.min()
    assert restored.min() == pytest.approx(soft.image.min())


def test_candidates_that_disagree_are_hardly_sharpened(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both candidates took the key's line, one drew it 3 pixels off: the mix shows two faint
    # lines, and sharpening would draw both.
    key = lined((14,))
    drifted = identity(lined((17,)), key)
    shifted = dataclasses.replace(drifted, source_x=drifted.source_x - 3)
    apart = [identity(lined((14,)), key), shifted]
    mixed = 0.5 * (apart[0].image + apart[1].image)

    def deepened() -> float:
        restored = restore(apart, key)
        return min(line_depth(restored, 14), line_depth(restored, 17)) - line_depth(mixed, 14)

    gated = deepened()
    monkeypatch.setattr(detail, "DISAGREEMENT_WEIGHT", 0.0)
    assert deepened() > 0.08  # both lines, had the disagreement not counted
    assert 0 <= gated < 0.3 * deepened()


def test_a_mix_as_sharp_as_its_key_and_strength_zero_change_nothing() -> None:
    key = lined((5, 20))
    exact = identity(key.copy(), key)
    np.testing.assert_allclose(restore([exact], key), key, atol=1e-6)
    soft = identity(blurred(key), key)
    np.testing.assert_array_equal(restore([soft], key, strength=0.0), soft.image)


@pytest.mark.parametrize("strength", [-0.5, float("nan")])
def test_a_bad_strength_is_named(strength: float) -> None:
    key = lined((5,))
    with pytest.raises(InputError, match="detail restoration must be >= 0"):
        restore([identity(key, key)], key, strength)


def test_mismatched_counts_are_named() -> None:
    key = lined((5,))
    candidate = identity(key, key)
    with pytest.raises(InputError, match="1 candidates, 2 key styles"):
        restore_detail(key, [candidate], np.ones((1, *SHAPE)), [key, key])
