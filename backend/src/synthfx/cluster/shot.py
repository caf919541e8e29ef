# SPDX-License-Identifier: Apache-2.0
"""What a cluster task needs to know about its shot: files by path (on storage every node
shares) or the frames themselves (the backend service's uploads, carried in Ray's object
store), the painted keys, the options and the cache, all picklable."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from synthfx.io import FrameRange, FrameSource, open_frames
from synthfx.pipeline.inputs import Frames, MemoryFrames
from synthfx.pipeline.options import StylizeOptions


def shared_path(path: str | os.PathLike[str]) -> str:
    """An absolute path: workers do not run in the driver's directory."""
    return os.path.abspath(os.fspath(path))


@dataclass(frozen=True)
class ShotSpec:
    """One stylize shot, as every node opens it.

    Attributes:
        frames: the frame pattern or video file (absolute), or frame number -> pixels.
        first, last: the shot's frame range (inclusive).
        mask: the mask pattern (absolute), frame number -> pixels, or None.
        keys: keyframe number -> painted style, (H, W, C) float32.
        options: the job options.
        cache_dir: the result store every node writes passes into (absolute, shared).
        flow_cache_dir: where flows are cached instead, or None (the store's).
    """

    frames: str | Mapping[int, np.ndarray]
    first: int
    last: int
    mask: str | Mapping[int, np.ndarray] | None
    keys: dict[int, np.ndarray]
    options: StylizeOptions
    cache_dir: str
    flow_cache_dir: str | None = None

    @contextmanager
    def opened(self) -> Iterator[tuple[Frames, Frames | None]]:
        """The shot's frames and mask, opened from their paths (closed after the block) or
        served from memory."""
        frame_range = FrameRange(self.first, self.last)
        opened: list[FrameSource] = []

        def source(spec: str | Mapping[int, np.ndarray]) -> Frames:
            if not isinstance(spec, str):
                return MemoryFrames({f: spec[f] for f in frame_range})
            files = open_frames(spec, frame_range)
            opened.append(files)
            return files

        try:
            yield source(self.frames), None if self.mask is None else source(self.mask)
        finally:
            for files in opened:
                files.close()
