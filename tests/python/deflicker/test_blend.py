# SPDX-License-Identifier: Apache-2.0
"""The two-band, error-weighted blend of a frame with its remapped neighbours."""

from __future__ import annotations

import numpy as np

from synthfx.deflicker.blend import blend_remapped, split_bands

SHAPE = (24, 32, 3)


def _frames(seed: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random(SHAPE, dtype=np.float32) for _ in range(count)]


def test_smoke() -> None:
    own, other = _frames(1, 2)
    result = blend_remapped(own, [(other, np.zeros(SHAPE[:2], np.float32))], 0.4)
    assert result.image.shape == SHAPE and result.image.dtype == np.float32
    assert result.support.shape == SHAPE[:2]
    np.testing.assert_allclose(result.support, 1.0)  # an error of 0 weighs like the frame
    np.testing.assert_allclose(result.image, (own + other) / 2, atol=1e-5)


def test_no_neighbours_keeps_the_frame() -> None:
    (own,) = _frames(2, 1)
    result = blend_remapped(own, [], 0.4)
    np.testing.assert_array_equal(result.image, own)
    assert not result.support.any()


def test_bad_matches_barely_count() -> None:
    own, good, bad = _frames(3, 3)
    errors = np.zeros(SHAPE[:2], np.float32), np.full(SHAPE[:2], 1e9, np.float32)
    result = blend_remapped(own, [(good, errors[0]), (bad, errors[1])], 0.4)
    np.testing.assert_allclose(result.image, (own + good) / 2, atol=1e-4)


def test_split_bands_sum_to_the_image() -> None:
    (image,) = _frames(4, 1)
    base, detail = split_bands(image)
    np.testing.assert_allclose(base + detail, image, atol=1e-6)
    assert base.std() < image.std()  # the base is the smooth part
