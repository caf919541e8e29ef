# SPDX-License-Identifier: Apache-2.0
"""The inputs of one shot: frames, keyframe styles and an optional mask, read lazily.

Frames are read on demand (a few recent ones kept), checked against the first frame's size,
and hashed once for cache keys; nothing holds the whole shot.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Protocol

import numpy as np

from synthfx.arrays import checked_image
from synthfx.errors import InputError
from synthfx.io.digest import array_digest
from synthfx.io.sequences import FrameRange, compact_frames

# Frames kept decoded: a pass needs the current and the previous frame, blending a few more.
_RECENT_FRAMES = 6
STYLE_CHANNELS = (1, 2, 3, 4)


class Frames(Protocol):
    """What the pipeline reads frames from (``synthfx.io.FrameSource`` satisfies it)."""

    @property
    def frame_range(self) -> FrameRange: ...

    def read(self, frame: int) -> np.ndarray: ...


class MemoryFrames:
    """Frames held in memory, for the Python API, the service and tests.

    Args:
        frames: frame number -> (H, W) or (H, W, C) float array; numbers must be consecutive.
    """

    def __init__(self, frames: Mapping[int, np.ndarray]) -> None:
        if not frames:
            raise InputError("no frames given")
        numbers = sorted(frames)
        missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
        if missing:
            raise InputError(f"frames missing from the shot: {compact_frames(missing)}")
        self._frames = dict(frames)
        self._range = FrameRange(numbers[0], numbers[-1])

    @property
    def frame_range(self) -> FrameRange:
        return self._range

    def read(self, frame: int) -> np.ndarray:
        if frame not in self._frames:
            raise InputError(f"frame {frame} is outside the frames {self._range}")
        return self._frames[frame]

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        for frame in self._range:
            yield frame, self._frames[frame]


def as_float_hwc(array: np.ndarray, what: str) -> np.ndarray:
    """(H, W, C) float32 view or copy; integer and non-finite inputs are errors naming ``what``."""
    return np.ascontiguousarray(checked_image(array, what, integers=False))


def rgb_of(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) colour of an (H, W, 1|2|3|4) image: grey replicated, alpha dropped."""
    channels = image.shape[2]
    if channels in (1, 2):
        return np.repeat(image[..., :1], 3, axis=2)
    return image[..., :3]


def alpha_of(image: np.ndarray) -> np.ndarray | None:
    """(H, W) alpha of a grey+alpha or RGBA image, None otherwise."""
    channels = image.shape[2]
    if channels == 2:
        return image[..., 1]
    if channels == 4:
        return image[..., 3]
    return None


def coverage_of(mask: np.ndarray) -> np.ndarray:
    """(H, W) mask value: the channel of a 1-channel image, alpha if any, else RGB mean."""
    alpha = alpha_of(mask)
    if alpha is not None:
        return alpha
    if mask.shape[2] == 1:
        return mask[..., 0]
    return mask[..., :3].mean(axis=2)


class ShotInputs:
    """Checked, lazily read, hashed inputs of one shot.

    Args:
        frames: the shot's frames.
        keys: keyframe number -> painted style, (H, W, 1|2|3|4) float, same H and W as the
            frames (2 and 4 channels carry alpha).
        mask: optional mask frames covering the shot's range (1 channel, alpha or RGB mean).
    """

    def __init__(
        self, frames: Frames, keys: Mapping[int, np.ndarray], mask: Frames | None = None
    ) -> None:
        self.frames = frames
        self.mask = mask
        self.frame_range = frames.frame_range
        if not keys:
            raise InputError("no keyframes given: pass at least one painted keyframe")
        outside = sorted(k for k in keys if k not in self.frame_range)
        if outside:
            raise InputError(
                f"keyframe(s) {compact_frames(outside)} outside the frame range {self.frame_range}"
            )
        if mask is not None:
            mask_range = mask.frame_range
            if mask_range.first > self.frame_range.first or mask_range.last < self.frame_range.last:
                raise InputError(
                    f"the mask covers frames {mask_range}, the shot needs {self.frame_range}"
                )
        self._recent: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._digests: dict[tuple[str, int], str] = {}
        self._size: tuple[int, int] | None = None
        self._size = self.frame(self.frame_range.first).shape[:2]
        self.height, self.width = self._size
        self.keys = {k: self._check_style(k, v) for k, v in sorted(keys.items())}
        self.style_channels = self._common_style_channels()
        self.key_digests = {k: array_digest(v) for k, v in self.keys.items()}

    def _check_style(self, frame: int, style: np.ndarray) -> np.ndarray:
        values = as_float_hwc(style, f"keyframe {frame} style")
        if values.shape[:2] != (self.height, self.width):
            raise InputError(
                f"keyframe {frame} style is {values.shape[1]}x{values.shape[0]}, "
                f"the frames are {self.width}x{self.height}"
            )
        if values.shape[2] not in STYLE_CHANNELS:
            raise InputError(
                f"keyframe {frame} style has {values.shape[2]} channels; "
                "expected 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA)"
            )
        return values

    def _common_style_channels(self) -> int:
        counts = {k: v.shape[2] for k, v in self.keys.items()}
        if len(set(counts.values())) > 1:
            listing = ", ".join(f"{k}: {c}" for k, c in counts.items())
            raise InputError(f"keyframe styles differ in channel count ({listing})")
        return next(iter(counts.values()))

    def _read(self, what: str, frame: int) -> np.ndarray:
        cache_key = (what, frame)
        cached = self._recent.get(cache_key)
        if cached is not None:
            self._recent.move_to_end(cache_key)
            return cached
        source = self.frames if what == "frame" else self.mask
        assert source is not None
        values = as_float_hwc(source.read(frame), f"{what} {frame}")
        if self._size is not None and values.shape[:2] != self._size:
            raise InputError(
                f"{what} {frame} is {values.shape[1]}x{values.shape[0]}, "
                f"frame {self.frame_range.first} is {self.width}x{self.height}"
            )
        values.setflags(write=False)
        self._recent[cache_key] = values
        if len(self._recent) > _RECENT_FRAMES:
            self._recent.popitem(last=False)
        if cache_key not in self._digests:
            self._digests[cache_key] = array_digest(values)
        return values

    def frame(self, frame: int) -> np.ndarray:
        """(H, W, C) float32 pixels of a frame (read-only)."""
        return self._read("frame", frame)

    def mask_at(self, frame: int) -> np.ndarray | None:
        """(H, W) float32 mask of a frame, None without a mask."""
        if self.mask is None:
            return None
        return coverage_of(self._read("mask", frame))

    def frame_digest(self, frame: int) -> str:
        if ("frame", frame) not in self._digests:
            self.frame(frame)
        return self._digests[("frame", frame)]

    def rgb_digest(self, frame: int) -> str:
        """Names ``rgb_of(self.frame(frame))`` (for the flow cache) without hashing it again."""
        return f"rgb-of:{self.frame_digest(frame)}"

    def mask_digest(self, frame: int) -> str:
        if self.mask is None:
            return "no-mask"
        if ("mask", frame) not in self._digests:
            self._read("mask", frame)
        return self._digests[("mask", frame)]
