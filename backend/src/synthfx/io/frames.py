# SPDX-License-Identifier: Apache-2.0
"""One front door for frame input: an image sequence pattern, a still image or a video file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from synthfx.errors import InputError
from synthfx.io.images import read_image, read_image_shape
from synthfx.io.sequences import FrameRange, FrameSequence, shape_mismatch
from synthfx.io.video import VIDEO_EXTENSIONS, VideoReader


class FrameSource(Protocol):
    """Frames of a shot, read lazily; every frame has the first frame's (H, W, C)."""

    @property
    def frame_range(self) -> FrameRange:
        """The frames this source serves."""
        ...

    def read(self, frame: int) -> np.ndarray:
        """(H, W, C) float32 pixels of one frame of ``frame_range``."""
        ...

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        """(frame, pixels) for every frame of ``frame_range``, in order, one at a time."""
        ...

    def check_shapes(self) -> None:
        """Raises InputError now if any frame's size differs from the first's."""
        ...

    def close(self) -> None:
        """Releases file handles or decoders."""
        ...


def _check_in_range(frame: int, frame_range: FrameRange, what: str) -> None:
    if frame not in frame_range:
        raise InputError(f"frame {frame} is outside the frames {frame_range} of {what}")


class SequenceSource:
    """Frames of a ``FrameSequence``; a still serves the same image for every frame."""

    def __init__(self, sequence: FrameSequence, frame_range: FrameRange | None) -> None:
        self.sequence = sequence
        if frame_range is None:
            frame_range = self._frames_on_disk()
        sequence.check_complete(frame_range)
        self._frame_range = frame_range
        self._first_shape: tuple[int, int, int] | None = None

    def _frames_on_disk(self) -> FrameRange:
        if self.sequence.is_still:
            return FrameRange(0, 0)
        frames = self.sequence.existing_frames()
        if not frames:
            raise InputError(f"no frames found for {self.sequence.pattern}")
        return FrameRange(frames[0], frames[-1])

    @property
    def frame_range(self) -> FrameRange:
        return self._frame_range

    def read(self, frame: int) -> np.ndarray:
        _check_in_range(frame, self._frame_range, self.sequence.pattern)
        first = self._frame_range.first
        if self._first_shape is None:
            # A header read, so random access checks sizes without decoding the first frame.
            self._first_shape = read_image_shape(self.sequence.path(first))
        pixels = read_image(self.sequence.path(frame)).pixels
        if pixels.shape != self._first_shape:
            raise shape_mismatch(self.sequence, frame, pixels.shape, first, self._first_shape)
        return pixels

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        for frame in self._frame_range:
            yield frame, self.read(frame)

    def check_shapes(self) -> None:
        """Reads every frame's header, so a frame of another size fails now, before any work
        (``read`` finds it only when it gets there)."""
        first = self._frame_range.first
        if self._first_shape is None:
            self._first_shape = read_image_shape(self.sequence.path(first))
        if self.sequence.is_still:
            return
        for frame in self._frame_range:
            shape = read_image_shape(self.sequence.path(frame))
            if shape != self._first_shape:
                raise shape_mismatch(self.sequence, frame, shape, first, self._first_shape)

    def close(self) -> None:
        """Nothing to release: files are opened per frame."""


class VideoSource:
    """Frames of a video file, numbered from 0."""

    def __init__(self, path: Path, frame_range: FrameRange | None) -> None:
        self.reader = VideoReader(path)
        if frame_range is None:
            frame_range = self.reader.frame_range
        if frame_range.first < 0 or frame_range.last >= self.reader.frame_count:
            self.reader.close()
            raise InputError(
                f"frames {frame_range} are out of range for {path} "
                f"(frames {self.reader.frame_range})"
            )
        self._frame_range = frame_range

    @property
    def frame_range(self) -> FrameRange:
        return self._frame_range

    def read(self, frame: int) -> np.ndarray:
        _check_in_range(frame, self._frame_range, str(self.reader.path))
        return self.reader.read(frame)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        return self.reader.frames(self._frame_range)

    def check_shapes(self) -> None:
        """Nothing to check: every frame of a video has the stream's size."""

    def close(self) -> None:
        self.reader.close()


def open_frames(
    spec: str | os.PathLike[str], frame_range: FrameRange | str | None = None
) -> FrameSource:
    """Opens the frames of a shot.

    Args:
        spec: A sequence pattern (``shot/f.####.exr``, ``shot/f.%04d.png``), a still image
            path, or a video file (``.mp4``, ``.mov``, ...; see ``VIDEO_EXTENSIONS``).
        frame_range: Frames to serve, as ``FrameRange`` or text (``"1001-1100"``). Default:
            a sequence's first to last frame on disk, all frames of a video, frame 0 of a still.

    Returns:
        A source that reads frames lazily.

    Raises:
        InputError: Missing or unreadable input, frames missing from a sequence (listed), or a
            range outside a video.
    """
    if isinstance(frame_range, str):
        frame_range = FrameRange.parse(frame_range)
    sequence = FrameSequence(spec)
    if sequence.is_still and Path(spec).suffix.lower() in VIDEO_EXTENSIONS:
        return VideoSource(Path(spec), frame_range)
    return SequenceSource(sequence, frame_range)
