# SPDX-License-Identifier: Apache-2.0
"""Video files as frame input, decoded by OpenCV (FFmpeg backend).

Frames are numbered from 0 as in the container. OpenCV decodes to 8-bit BGR whatever the
source bit depth, so pixels are multiples of 1/255; use image sequences for 10-bit or HDR work.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.io.sequences import FrameRange

# Frames decoded after a backward seek (fewer when the cache holds fewer), and the largest
# forward gap decoded through rather than sought (a seek decodes from the keyframe anyway).
_BACKWARD_WINDOW = 32
_FORWARD_DECODE_LIMIT = 16
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg"})


def _bgr8_to_rgb_float(frame: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return rgb.astype(np.float32) * np.float32(1.0 / 255.0)


class VideoReader:
    """Lazy, seekable frame access to one video file.

    Sequential reads decode forward. Decoded frames are kept (8-bit, as decoded, up to
    ``cache_bytes``), so frames read again, as the pipeline does, cost nothing. A read behind
    the decoder seeks to a window of frames before it and decodes the window forward: the
    reverse passes walk a shot backwards, and seeking for every frame of a long-GOP video would
    decode from its keyframe each time. One reader holds one decoder, so it is not thread-safe.

    Attributes:
        path: The video file.
        frame_count: Number of frames the container reports.
        width, height: Frame size in pixels.
        fps: Frames per second the container reports (0.0 if unknown).
    """

    def __init__(self, path: str | os.PathLike[str], cache_bytes: int = 256 << 20) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"video file not found: {self.path}")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise InputError(f"cannot open video {self.path}: not a video OpenCV can decode")
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS))
        if self.frame_count <= 0 or self.width <= 0 or self.height <= 0:
            self.close()
            raise InputError(f"cannot open video {self.path}: no frames or unknown size")
        self._next_frame = 0
        frame_bytes = self.width * self.height * 3
        self._cache_frames = max(1, cache_bytes // frame_bytes)
        # Frames decoded per backward seek: a window the cache holds whole.
        self._window = max(1, min(_BACKWARD_WINDOW, self._cache_frames))
        self._decoded: OrderedDict[int, np.ndarray] = OrderedDict()
        self.seeks = 0  # decoder repositionings so far (for tests and benchmarks)

    @property
    def frame_range(self) -> FrameRange:
        """All frames: ``0..frame_count-1``."""
        return FrameRange(0, self.frame_count - 1)

    def read(self, frame: int) -> np.ndarray:
        """Decodes one frame.

        Args:
            frame: Index in ``0..frame_count-1``.

        Returns:
            (H, W, 3) float32 RGB in [0, 1].

        Raises:
            InputError: Frame out of range, or the decoder fails on it.
        """
        if frame not in self.frame_range:
            raise InputError(
                f"frame {frame} is out of range for {self.path} (frames {self.frame_range})"
            )
        bgr = self._decoded.get(frame)
        if bgr is None:
            bgr = self._decode_through(frame)
        else:
            self._decoded.move_to_end(frame)
        return _bgr8_to_rgb_float(bgr)

    def _decode_through(self, frame: int) -> np.ndarray:
        """Decodes up to ``frame`` (seeking first unless it is just ahead) and keeps each."""
        start = self._next_frame
        if not start <= frame < start + _FORWARD_DECODE_LIMIT:
            start = max(0, frame - self._window + 1) if frame < start else frame
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, start)
            self.seeks += 1
        for current in range(start, frame + 1):
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                # Position unknown after a failed read: force a seek next time.
                self._next_frame = -1
                raise InputError(f"cannot decode frame {current} of {self.path}")
            self._next_frame = current + 1
            self._decoded[current] = bgr
            self._decoded.move_to_end(current)
            while len(self._decoded) > self._cache_frames:
                self._decoded.popitem(last=False)
        return bgr

    def frames(self, frame_range: FrameRange | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Streams frames in order.

        Args:
            frame_range: Frames to read; default all.

        Returns:
            Iterator of (frame, (H, W, 3) float32 RGB).

        Raises:
            InputError: ``frame_range`` reaches outside the video (raised now, not lazily).
        """
        wanted = self.frame_range if frame_range is None else frame_range
        if wanted.first < 0 or wanted.last >= self.frame_count:
            raise InputError(
                f"frames {wanted} are out of range for {self.path} (frames {self.frame_range})"
            )
        return ((frame, self.read(frame)) for frame in wanted)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        return self.frames()

    def close(self) -> None:
        """Releases the decoder."""
        self._capture.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
