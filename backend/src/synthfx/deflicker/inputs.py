# SPDX-License-Identifier: Apache-2.0
"""The inputs of one deflicker job: render, guide plate and optional mask frames, checked and
read lazily; only the frames of the current window are kept."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from synthfx.errors import InputError
from synthfx.io.digest import array_digest
from synthfx.io.sequences import FrameRange
from synthfx.pipeline.inputs import Frames, as_float_hwc, coverage_of, rgb_of

_KINDS = ("render", "guide", "mask")


def _covers(outer: FrameRange, inner: FrameRange) -> bool:
    return outer.first <= inner.first and outer.last >= inner.last


class DeflickerInputs:
    """Checked, hashed render, guide and mask frames of one shot.

    Args:
        render: the flickering frames, (H, W, C) any C >= 1; their range is the shot.
        guide: the plate they were rendered from, (H, W, C') covering the shot.
        mask: optional frames covering the shot (1 channel, alpha or RGB mean).
        reference: the frame every other must match in size, read first (default: the
            shot's first; a client that holds only some frames names one of those).
    """

    def __init__(
        self,
        render: Frames,
        guide: Frames,
        mask: Frames | None = None,
        *,
        reference: int | None = None,
    ) -> None:
        self.sources = {"render": render, "guide": guide, "mask": mask}
        self.frame_range = render.frame_range
        for kind in ("guide", "mask"):
            source = self.sources[kind]
            if source is not None and not _covers(source.frame_range, self.frame_range):
                raise InputError(
                    f"the {kind} frames are {source.frame_range}, the render needs "
                    f"{self.frame_range}"
                )
        self._kept: dict[tuple[str, int], np.ndarray] = {}
        self._digests: dict[tuple[str, int], str] = {}
        self.reference = self.frame_range.first if reference is None else reference
        if self.reference not in self.frame_range:
            raise InputError(f"frame {self.reference} is outside the shot {self.frame_range}")
        self.height, self.width, self.channels = self.render(self.reference).shape
        self.guide(self.reference)  # a plate of another size fails now, before any work

    def _read(self, kind: str, frame: int) -> np.ndarray:
        kept = self._kept.get((kind, frame))
        if kept is not None:
            return kept
        source = self.sources[kind]
        assert source is not None
        values = as_float_hwc(source.read(frame), f"{kind} frame {frame}")
        if kind == "render" and frame != self.reference:
            expected = (self.height, self.width, self.channels)
            if values.shape != expected:
                raise InputError(
                    f"render frame {frame} is {values.shape[1]}x{values.shape[0]} with "
                    f"{values.shape[2]} channels, frame {self.reference} is "
                    f"{self.width}x{self.height} with {self.channels}"
                )
        elif kind != "render" and values.shape[:2] != (self.height, self.width):
            raise InputError(
                f"{kind} frame {frame} is {values.shape[1]}x{values.shape[0]}, "
                f"the render is {self.width}x{self.height}"
            )
        if kind == "guide":
            values = np.ascontiguousarray(rgb_of(values))  # alpha says nothing about motion
        values.setflags(write=False)
        self._kept[(kind, frame)] = values
        self._digests.setdefault((kind, frame), array_digest(values))
        return values

    def render(self, frame: int) -> np.ndarray:
        """(H, W, C) float32 render frame (read-only)."""
        return self._read("render", frame)

    def guide(self, frame: int) -> np.ndarray:
        """(H, W, 3) float32 guide plate frame (read-only)."""
        return self._read("guide", frame)

    def mask_at(self, frame: int) -> np.ndarray | None:
        """(H, W) float32 mask of a frame, None without a mask."""
        if self.sources["mask"] is None:
            return None
        return coverage_of(self._read("mask", frame))

    def digest(self, frame: int) -> str:
        """Digest of everything read at ``frame`` (render, guide, mask)."""
        parts = []
        for kind in _KINDS:
            if self.sources[kind] is None:
                parts.append("none")
                continue
            if (kind, frame) not in self._digests:
                self._read(kind, frame)
            parts.append(self._digests[(kind, frame)])
        return ":".join(parts)

    @property
    def kept_frames(self) -> int:
        """How many frame numbers have decoded frames kept (bounded by the window)."""
        return len({frame for _, frame in self._kept})

    def keep_only(self, frames: Iterable[int]) -> None:
        """Drops decoded frames outside ``frames``, so memory stays bounded by the window."""
        wanted = set(frames)
        for key in [k for k in self._kept if k[1] not in wanted]:
            del self._kept[key]
