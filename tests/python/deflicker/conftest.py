# SPDX-License-Identifier: Apache-2.0
"""A deflicker known answer on real video: Big Buck Bunny frames, a painterly truth, and the
truth with per-frame synthetic flicker (``synthfx.deflicker.flicker``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.deflicker.flicker import add_flicker
from synthfx.io import FrameRange, VideoReader
from synthfx.pipeline import painterly

# Frames with motion (the clip's first frames are nearly still), 160x90.
FIRST, COUNT, SIZE = 40, 10, (160, 90)


@dataclass(frozen=True)
class KnownAnswer:
    plate: dict[int, np.ndarray]
    truth: dict[int, np.ndarray]
    flickering: dict[int, np.ndarray]


def plate_frames(video: Path, first: int, count: int, size: tuple[int, int]) -> dict:
    """Frames first..first+count-1 of the clip, area-downscaled, numbered from 0."""
    with VideoReader(video) as reader:
        return {
            frame - first: cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
            for frame, pixels in reader.frames(FrameRange(first, first + count - 1))
        }


@pytest.fixture(scope="session")
def known_answer(bbb_video: Path) -> KnownAnswer:
    plate = plate_frames(bbb_video, FIRST, COUNT, SIZE)
    truth = {f: painterly(p) for f, p in plate.items()}
    flickering = {f: add_flicker(t, seed=1000 + f) for f, t in truth.items()}
    return KnownAnswer(plate, truth, flickering)
