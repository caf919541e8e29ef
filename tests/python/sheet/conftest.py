# SPDX-License-Identifier: Apache-2.0
"""Real inputs for the key sheet tests: Big Buck Bunny frames and a real head matte."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.io import FrameRange, VideoReader
from synthfx_testing import load_png

# Plates are 128x72 (the clip at a tenth), numbered like a shot.
FIRST_FRAME = 1001
PLATE_FRAMES = 9


@pytest.fixture(scope="session")
def plates(bbb_video: Path) -> dict[int, np.ndarray]:
    """Frames 1001-1009: (72, 128, 3) float32."""
    reader = VideoReader(bbb_video)
    try:
        return {
            FIRST_FRAME + frame: cv2.resize(
                pixels, None, fx=0.1, fy=0.1, interpolation=cv2.INTER_AREA
            )
            for frame, pixels in reader.frames(FrameRange(0, PLATE_FRAMES - 1))
        }
    finally:
        reader.close()


@pytest.fixture(scope="session")
def head_matte(ebsynth_data: Path) -> np.ndarray:
    """The facestyle segmentation as a matte: (1000, 810) float32, the head > 0, background 0."""
    segmentation = load_png(ebsynth_data / "facestyle" / "source_Gseg.png")
    return np.ascontiguousarray(segmentation.max(axis=2))


def moving_mattes(head_matte: np.ndarray, frames: list[int]) -> dict[int, np.ndarray]:
    """The head matte shrunk to 44 px high and moved right 9 px a frame over a 128x72 plate."""
    small = cv2.resize(head_matte, (36, 44), interpolation=cv2.INTER_AREA)
    mattes = {}
    for index, frame in enumerate(frames):
        canvas = np.zeros((72, 128), np.float32)
        x, y = 6 + 9 * index, 14 + 2 * index
        canvas[y : y + 44, x : x + 36] = small
        mattes[frame] = canvas
    return mattes
