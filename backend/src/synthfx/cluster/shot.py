# SPDX-License-Identifier: Apache-2.0
"""What a cluster task needs to know about its shot: files by path (on storage every node
shares), the painted keys, the options and the cache, all picklable."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from synthfx.io import FrameRange, FrameSource, open_frames
from synthfx.pipeline.inputs import ShotInputs
from synthfx.pipeline.options import StylizeOptions


def shared_path(path: str | os.PathLike[str]) -> str:
    """An absolute path: workers do not run in the driver's directory."""
    return os.path.abspath(os.fspath(path))


@dataclass(frozen=True)
class ShotSpec:
    """One stylize shot, as every node opens it.

    Attributes:
        frames: the frame pattern or video file (absolute).
        first, last: the shot's frame range (inclusive).
        mask: the mask pattern (absolute), or None.
        keys: keyframe number -> painted style, (H, W, C) float32.
        options: the job options.
        cache_dir: the result store every node writes passes into (absolute, shared).
        flow_cache_dir: where flows are cached instead, or None (the store's).
    """

    frames: str
    first: int
    last: int
    mask: str | None
    keys: dict[int, np.ndarray]
    options: StylizeOptions
    cache_dir: str
    flow_cache_dir: str | None = None

    def open_sources(self) -> tuple[FrameSource, FrameSource | None]:
        """The shot's frames and mask, opened from their paths."""
        frame_range = FrameRange(self.first, self.last)
        frames = open_frames(self.frames, frame_range)
        mask = open_frames(self.mask, frame_range) if self.mask is not None else None
        return frames, mask

    def open_inputs(self) -> ShotInputs:
        frames, mask = self.open_sources()
        return ShotInputs(frames, self.keys, mask)
