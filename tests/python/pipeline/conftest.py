# SPDX-License-Identifier: Apache-2.0
"""Real video frames for the pipeline tests: short Big Buck Bunny excerpts, downscaled."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.io import FrameRange, VideoReader


def bbb_excerpt(video: Path, first: int, count: int, scale: float) -> dict[int, np.ndarray]:
    """Frames first..first+count-1 of the clip, area-downscaled, numbered from 0."""
    reader = VideoReader(video)
    try:
        return {
            frame - first: cv2.resize(
                pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
            )
            for frame, pixels in reader.frames(FrameRange(first, first + count - 1))
        }
    finally:
        reader.close()


@pytest.fixture(scope="session")
def bbb_tiny(bbb_video: Path) -> dict[int, np.ndarray]:
    """5 frames, 128x72."""
    return bbb_excerpt(bbb_video, 0, 5, 0.1)


@pytest.fixture(scope="session")
def bbb_small(bbb_video: Path) -> dict[int, np.ndarray]:
    """9 frames, 320x180."""
    return bbb_excerpt(bbb_video, 0, 9, 0.25)
