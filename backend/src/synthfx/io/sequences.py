# SPDX-License-Identifier: Apache-2.0
"""Numbered frame sequences on disk: ``shot/f.####.exr``, ``shot/f.%04d.exr``, or one still file.

Frame numbers are formatted like printf's ``%0Nd``: ``####`` and ``%04d`` both give
``f.0007.exr``; numbers wider than the padding are written in full (``f.12345.exr``); negative
frames carry the sign inside the width (``-005``). Placeholders are only recognised in the file
name, never in directory names; ``@`` has no special meaning.
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthfx.errors import InputError
from synthfx.io.images import read_image

_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?$")
_PLACEHOLDER = re.compile(r"#+|%(0\d+)?d")
# How many missing files an error message names before it stops.
_NAMED_FILES = 3


@dataclass(frozen=True)
class FrameRange:
    """An inclusive range of frame numbers ``first..last``."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InputError(f"invalid frame range {self.first}-{self.last}: first > last")

    @classmethod
    def parse(cls, text: str) -> FrameRange:
        """Parses ``"1001-1100"``, ``"1001"``, ``"-5-5"`` or ``"-10--3"``.

        Raises:
            InputError: Malformed text or first > last.
        """
        match = _RANGE.match(text)
        if match is None:
            raise InputError(f"invalid frame range {text!r}: expected 'FIRST-LAST' or 'FRAME'")
        first = int(match.group(1))
        last = first if match.group(2) is None else int(match.group(2))
        return cls(first, last)

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.last + 1))

    def __contains__(self, frame: object) -> bool:
        try:
            number = operator.index(frame)  # type: ignore[arg-type]
        except TypeError:
            return False
        return self.first <= number <= self.last

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


def compact_frames(frames: Iterable[int], limit: int = 10) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3, 7, 9-10"``, at most ``limit`` runs then ``", ..."``."""
    runs: list[list[int]] = []
    for frame in sorted(frames):
        if runs and frame == runs[-1][1] + 1:
            runs[-1][1] = frame
        else:
            runs.append([frame, frame])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:limit]]
    return ", ".join(parts) + (", ..." if len(runs) > limit else "")


class FrameSequence:
    """A numbered file sequence described by a pattern.

    Attributes:
        pattern: The pattern as given.
        padding: Minimum digits of the frame number (0: unpadded ``%d``).
        is_still: True for a plain file name without placeholder (the same file for every frame).
    """

    def __init__(self, pattern: str | os.PathLike[str]) -> None:
        self.pattern = os.fspath(pattern)
        pattern_path = Path(self.pattern)
        self.directory = pattern_path.parent
        name = pattern_path.name
        placeholders = list(_PLACEHOLDER.finditer(name))
        if len(placeholders) > 1:
            raise InputError(f"frame pattern {self.pattern!r} has more than one frame placeholder")
        if _PLACEHOLDER.search(str(self.directory)):
            raise InputError(f"frame pattern {self.pattern!r}: placeholders only in the file name")
        self.is_still = not placeholders
        if self.is_still:
            self._prefix, self._suffix, self.padding = name, "", 0
            return
        placeholder = placeholders[0]
        token = placeholder.group(0)
        self.padding = len(token) if token.startswith("#") else int(placeholder.group(1) or 0)
        self._prefix, self._suffix = name[: placeholder.start()], name[placeholder.end() :]
        self._name_pattern = re.compile(
            re.escape(self._prefix) + r"(-?\d+)" + re.escape(self._suffix) + r"\Z"
        )

    def __repr__(self) -> str:
        return f"FrameSequence({self.pattern!r})"

    def _number(self, frame: int) -> str:
        return f"{frame:0{self.padding}d}" if self.padding else str(frame)

    def path(self, frame: int) -> Path:
        """The file of ``frame`` (the still file itself for a still)."""
        if self.is_still:
            return self.directory / self._prefix
        return self.directory / f"{self._prefix}{self._number(frame)}{self._suffix}"

    def frame_of(self, name: str) -> int | None:
        """The frame number a file name stands for, or None if it is not part of the sequence."""
        if self.is_still:
            return None
        match = self._name_pattern.match(name)
        if match is None:
            return None
        frame = int(match.group(1))
        # "f.00012.exr" is not frame 12 of "f.####.exr": that would be "f.0012.exr".
        return frame if self._number(frame) == match.group(1) else None

    def existing_frames(self) -> list[int]:
        """Sorted frame numbers present on disk (empty for a still or a missing directory)."""
        if self.is_still:
            return []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        frames = {self.frame_of(entry.name) for entry in entries if entry.is_file()}
        return sorted(frame for frame in frames if frame is not None)

    def check_complete(self, frame_range: FrameRange) -> None:
        """Checks that every frame of ``frame_range`` exists.

        Raises:
            InputError: Lists the missing frames and names the first missing files.
        """
        if self.is_still:
            if not self.path(0).is_file():
                raise InputError(f"image file not found: {self.path(0)}")
            return
        missing = [frame for frame in frame_range if not self.path(frame).is_file()]
        if not missing:
            return
        files = ", ".join(str(self.path(frame)) for frame in missing[:_NAMED_FILES])
        more = ", ..." if len(missing) > _NAMED_FILES else ""
        raise InputError(
            f"{len(missing)} of {len(frame_range)} frames of {self.pattern} "
            f"({frame_range}) are missing: frames {compact_frames(missing)} "
            f"(files {files}{more})"
        )


def describe_shape(shape: tuple[int, ...]) -> str:
    """``(720, 1280, 3)`` -> ``"1280x720 with 3 channels"``."""
    return f"{shape[1]}x{shape[0]} with {shape[2]} channels"


def read_sequence(
    sequence: FrameSequence, frame_range: FrameRange
) -> Iterator[tuple[int, np.ndarray]]:
    """Streams the frames of a sequence, one in memory at a time.

    Completeness is checked immediately (when this function is called, not at the first
    frame), so a shot with holes fails before any work is done. Sizes are checked as frames
    arrive, against the first frame.

    Args:
        sequence: The sequence.
        frame_range: Frames to read, in order.

    Returns:
        Iterator of (frame, (H, W, C) float32 pixels).

    Raises:
        InputError: Missing frames (now); later, a frame whose shape differs from the first
            frame's (names the frame and both sizes) or an unreadable frame.
    """
    sequence.check_complete(frame_range)
    return _stream(sequence, frame_range)


def _stream(sequence: FrameSequence, frame_range: FrameRange) -> Iterator[tuple[int, np.ndarray]]:
    first_shape: tuple[int, ...] | None = None
    for frame in frame_range:
        pixels = read_image(sequence.path(frame)).pixels
        if first_shape is None:
            first_shape = pixels.shape
        elif pixels.shape != first_shape:
            raise shape_mismatch(sequence, frame, pixels.shape, frame_range.first, first_shape)
        yield frame, pixels


def shape_mismatch(
    sequence: FrameSequence,
    frame: int,
    shape: tuple[int, ...],
    first_frame: int,
    first_shape: tuple[int, ...],
) -> InputError:
    """The error for a frame whose (H, W, C) differs from the first frame's."""
    return InputError(
        f"frame {frame} ({sequence.path(frame)}) is {describe_shape(shape)}, but "
        f"the first frame {first_frame} is {describe_shape(first_shape)}"
    )
