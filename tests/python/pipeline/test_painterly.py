# SPDX-License-Identifier: Apache-2.0
"""The deterministic painterly keyframe filter, on a real painting and a real video frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.pipeline.painterly import painterly, paper_texture

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@pytest.fixture(scope="module")
def small_photo(photo: np.ndarray) -> np.ndarray:
    """The painting downscaled to (228, 300, 3) float32."""
    return cv2.resize(photo, (300, 228), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def bbb_frame(bbb_video: Path) -> np.ndarray:
    """First Big Buck Bunny frame, (180, 320, 3) float32 RGB in [0, 1]."""
    capture = cv2.VideoCapture(str(bbb_video))
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    assert ok, bbb_video
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return cv2.resize(rgb, (320, 180), interpolation=cv2.INTER_AREA)


@pytest.fixture(params=["photo", "bbb"])
def image(request: pytest.FixtureRequest) -> np.ndarray:
    name = "small_photo" if request.param == "photo" else "bbb_frame"
    return request.getfixturevalue(name)


def test_deterministic_shape_dtype(image: np.ndarray) -> None:
    first = painterly(image)
    second = painterly(image.copy())
    assert first.shape == image.shape and first.dtype == np.float32
    assert np.array_equal(first, second)
    assert first.min() >= 0.0 and first.max() <= 1.0


def test_changes_look_but_keeps_structure(image: np.ndarray) -> None:
    out = painterly(image)
    psnr = 10.0 * np.log10(1.0 / float(np.mean((out - image) ** 2)))
    assert psnr < 25.0
    corr = np.corrcoef((image @ LUMA).ravel(), (out @ LUMA).ravel())[0, 1]
    assert corr > 0.6


def test_ink_lines_along_edges(image: np.ndarray) -> None:
    out = painterly(image)
    luma_in, luma_out = image @ LUMA, out @ LUMA
    smooth = cv2.GaussianBlur(luma_in, (0, 0), 1.0)
    magnitude = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    near_edge = cv2.dilate((magnitude > 0.3).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    # Ink: pixels turned dark in a neighbourhood that was not dark.
    inked = (luma_out < 0.2) & (cv2.GaussianBlur(luma_in, (0, 0), 3.0) > 0.3)
    assert inked[near_edge].mean() > 0.01
    assert inked[near_edge].mean() > 5 * inked[~near_edge].mean()


def test_paper_texture_content_independent() -> None:
    dark = painterly(np.full((40, 50, 3), 0.3, np.float32))
    mid = painterly(np.full((40, 50, 3), 0.6, np.float32))
    assert np.std(dark[..., 0]) / np.mean(dark[..., 0]) > 0.01  # visible on a flat image
    tex = paper_texture(40, 50)
    assert tex.shape == (40, 50) and tex.dtype == np.float32
    assert np.array_equal(tex, paper_texture(200, 300)[:40, :50])
    # Flat inputs: the output is the texture times a constant colour.
    for out in (dark, mid):
        ratio = out[..., 1] / tex
        assert np.ptp(ratio) < 1e-4


def test_rejects_wrong_shape() -> None:
    with pytest.raises(InputError, match=r"\(4, 4\)"):
        painterly(np.zeros((4, 4), np.float32))
