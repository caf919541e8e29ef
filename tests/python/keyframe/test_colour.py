# SPDX-License-Identifier: Apache-2.0
"""Histogram matching and colour preservation on real images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.keyframe import match_histogram, preserve_colour
from synthfx.keyframe.colour import luma

from .conftest import KnownAnswer

GRID = np.linspace(0.0, 1.0, 201)


def test_matched_image_has_the_reference_histogram(known_answer: KnownAnswer) -> None:
    # Blurred to float: 8-bit frames map every pixel of one level to one value, so their
    # quantiles can only match to within the ties.
    plate = cv2.GaussianBlur(known_answer.plate_b, (0, 0), 1.0)
    painting = cv2.GaussianBlur(known_answer.reference, (0, 0), 1.0)
    matched = match_histogram(plate, painting)
    for channel in range(3):
        after = np.quantile(matched[..., channel], GRID)
        target = np.quantile(painting[..., channel], GRID)
        assert np.abs(after - target).max() < 0.005, channel
    # Monotonic per channel: the order of the plate's values is kept.
    order = np.argsort(plate[..., 0], axis=None, kind="stable")
    assert (np.diff(matched[..., 0].ravel()[order]) >= 0).all()


def test_regions_choose_the_pixels_of_each_histogram(known_answer: KnownAnswer) -> None:
    plate = known_answer.plate_b
    region = np.zeros(plate.shape[:2], bool)
    region[:, :80] = True
    dark = np.full((8, 8, 3), 0.1, np.float32)
    dark[:4] = 0.9  # half dark, half bright: the region's pixels spread over both
    matched = match_histogram(plate, dark, image_region=region)
    inside = matched[region]
    assert abs(float((inside > 0.5).mean()) - 0.5) < 0.01
    only_dark = match_histogram(plate, dark, reference_region=np.arange(64).reshape(8, 8) >= 32)
    np.testing.assert_allclose(only_dark, 0.1, atol=1e-6)


def test_luminance_keeps_the_plate_chroma_and_lightness_statistics(
    known_answer: KnownAnswer,
) -> None:
    plate, styled = known_answer.plate_b, (known_answer.truth * 0.3).astype(np.float32)
    kept = preserve_colour(styled, plate, "luminance")
    chroma = kept - luma(kept)[..., None]
    np.testing.assert_allclose(chroma, plate - luma(plate)[..., None], atol=1e-5)
    assert abs(float(luma(kept).mean() - luma(plate).mean())) < 1e-4
    assert abs(float(luma(kept).std() - luma(plate).std())) < 1e-4
    # The lightness pattern is the styled one's.
    assert np.corrcoef(luma(kept).ravel(), luma(styled).ravel())[0, 1] > 0.999
    assert preserve_colour(styled, plate, "none") is styled


def test_exception(known_answer: KnownAnswer) -> None:
    plate = known_answer.plate_b
    with pytest.raises(InputError, match="equal channel counts, got 3 and 1"):
        match_histogram(plate, plate[..., 0])
    with pytest.raises(InputError, match="at least one pixel inside the mask"):
        match_histogram(plate, plate, image_region=np.zeros(plate.shape[:2], bool))
