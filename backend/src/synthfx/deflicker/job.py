# SPDX-License-Identifier: Apache-2.0
"""``Deflicker``: flickering per-frame renders and their plate in, temporally stable frames out.

    job = Deflicker(open_frames("render/r.####.exr"), open_frames("plate/p.####.exr"))
    job.run(lambda frame, result: write_image(out.path(frame), result.image))

For each frame t, every chosen neighbour t' (``neighbours.py``) is remapped onto t by the
engine: style = render[t'], guides plate[t'] -> plate[t] and render[t'] -> render[t]. The
remapped neighbours and render[t] itself are averaged per pixel and per band (``blend.py``),
each weighted by how well its match fits the plate (``plate_error``), so occluded or badly
matched pixels barely count and detail is carried along the motion instead of blurred. A
frame depends only on the input frames of its window: ``render(t)`` of a render-farm chunk
equals the same frame of a full run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from synthfx.deflicker.blend import DeflickerResult, blend_remapped
from synthfx.deflicker.inputs import DeflickerInputs
from synthfx.deflicker.neighbours import neighbours_of
from synthfx.deflicker.options import DeflickerOptions
from synthfx.engine import check_params, engine_version, synthesize
from synthfx.errors import CancelledError, InputError
from synthfx.pipeline.inputs import Frames
from synthfx.pipeline.store import ResultStore, chain_key
from synthfx.pipeline.stylizer import ProgressEvent
from synthfx.progress import engine_progress

FINAL_KIND = "deflicker"
FINAL_FORMAT = "synthfx-deflicker-v2"  # v2: two-band blend


@dataclass
class DeflickerSummary:
    """What ``run`` did: frame counts, engine remaps and seconds."""

    frames: int = 0
    written: int = 0
    skipped: int = 0
    remaps: int = 0
    seconds: float = 0.0


def plate_error(
    source: np.ndarray, target: np.ndarray, nnf: np.ndarray, patch_size: int
) -> np.ndarray:
    """How badly the match fits the plate: (H, W) float32 squared plate difference between
    each target pixel and the source pixel it was matched to, summed over channels (0-255^2
    units) and averaged over a patch.

    The weights use this rather than the engine's error, which also counts the render's own
    mismatch: there the flicker itself (a brighter neighbour) would look like a bad match,
    and neighbours that flicker like the frame would win, keeping the flicker.
    """
    height, width = source.shape[:2]
    xs = np.clip(nnf[..., 0], 0, width - 1)
    ys = np.clip(nnf[..., 1], 0, height - 1)
    difference = (source[ys, xs] - target) * np.float32(255.0)
    squared = np.square(difference).sum(axis=2, dtype=np.float32)
    return cv2.blur(squared, (patch_size, patch_size), borderType=cv2.BORDER_REFLECT)


class Deflicker:
    """Makes a flickering rendered sequence temporally stable, guided by its plate.

    Args:
        render: the flickering frames (``synthfx.io.open_frames(...)`` or ``MemoryFrames``);
            their range is the shot.
        guide: the plate the render was made from, covering the shot.
        mask: optional; where it is 0 the render is kept as it is.
        options: job options.
        cache_dir: content-addressed store of output frames; a rerun finds them. None: no store.
        progress: called with a ``ProgressEvent`` after every remap ("remap"), every output
            frame ("output", "skipped") and during long remaps ("synthesizing").
        cancel: when set, the job stops with ``CancelledError`` within one PatchMatch iteration.
        reference: the frame all others must match in size (default: the shot's first); a
            chunk that holds only some frames names one of those.
        frame_runner: renders a frame elsewhere (a cluster) until its output is in the store
            (needs ``cache_dir``); this process then reads it from there.

    Raises:
        InputError: mismatched sizes, ranges that do not cover the shot, a window as long as
            the shot, bad options; the message names the offending value.
    """

    def __init__(
        self,
        render: Frames,
        guide: Frames,
        *,
        mask: Frames | None = None,
        options: DeflickerOptions | None = None,
        cache_dir: str | Path | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        cancel: threading.Event | None = None,
        reference: int | None = None,
        frame_runner: Callable[[int], None] | None = None,
    ) -> None:
        self.options = options or DeflickerOptions()
        check_params(self.options.engine)
        self.inputs = DeflickerInputs(render, guide, mask, reference=reference)
        shot = self.inputs.frame_range
        if len(shot) > 1 and self.options.window >= len(shot):
            raise InputError(
                f"window {self.options.window} reaches past the whole shot ({shot}, "
                f"{len(shot)} frames): use at most {len(shot) - 1}"
            )
        self.store = ResultStore(cache_dir) if cache_dir is not None else None
        if frame_runner is not None and self.store is None:
            raise InputError("a frame runner (a cluster) hands frames over in the cache: give one")
        self._frame_runner = frame_runner
        self._progress = progress
        self._cancel = cancel
        self._done = 0
        self._total = 0
        self.remaps = 0  # engine calls so far (for tests and benchmarks)

    @property
    def frame_range(self) -> range:
        """Every frame of the shot."""
        return range(self.inputs.frame_range.first, self.inputs.frame_range.last + 1)

    def neighbours(self, frame: int) -> tuple[int, ...]:
        """The frames remapped onto ``frame``."""
        return neighbours_of(frame, self.frame_range, self.options.mode, self.options.window)

    def final_key(self, frame: int) -> str:
        """Content key of the output frame: changes whenever any input or option it uses does."""
        self._check_frame(frame)
        parts = [FINAL_FORMAT, engine_version(), self.options.fingerprint()]
        for source in (frame, *self.neighbours(frame)):
            parts.append(f"{source - frame}:{self.inputs.digest(source)}")
        return chain_key(*parts)

    def render(self, frame: int) -> DeflickerResult:
        """The output of one frame (from the store when it is there, else computed).

        Raises:
            InputError: ``frame`` is outside the shot.
            CancelledError: the cancel event was set.
        """
        self._check_frame(frame)
        self._done, self._total = 0, len(self.neighbours(frame)) + 1
        self.inputs.keep_only(self._window_of(frame))
        return self._render(frame)

    def run(
        self,
        write: Callable[[int, DeflickerResult], None],
        *,
        done: Callable[[int], bool] | None = None,
    ) -> DeflickerSummary:
        """Renders every frame in order and hands each to ``write`` as soon as it is ready.

        Args:
            write: called with (frame, result) for each frame, in increasing frame order.
            done: optional; frames for which it returns True are skipped (already written).
        """
        summary = DeflickerSummary()
        start = time.perf_counter()
        remaps_before = self.remaps
        self._done = 0
        self._total = sum(len(self.neighbours(f)) + 1 for f in self.frame_range)
        for frame in self.frame_range:
            summary.frames += 1
            self.inputs.keep_only(self._window_of(frame))
            if done is not None and done(frame):
                summary.skipped += 1
                self._done += len(self.neighbours(frame))
                self._step("skipped", frame)
                continue
            write(frame, self._render(frame))
            summary.written += 1
        summary.remaps = self.remaps - remaps_before
        summary.seconds = time.perf_counter() - start
        return summary

    # -- internals ------------------------------------------------------------------------

    def _window_of(self, frame: int) -> range:
        return range(frame - self.options.window, frame + self.options.window + 1)

    def _check_frame(self, frame: int) -> None:
        if frame not in self.frame_range:
            raise InputError(f"frame {frame} is outside the shot {self.inputs.frame_range}")

    def _step(self, stage: str, frame: int) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(ProgressEvent(stage, frame, self._done, max(self._total, self._done)))

    def _should_stop(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def _remap(self, source: int, target: int) -> tuple[np.ndarray, np.ndarray]:
        """render[source] remapped onto frame ``target``: (image (H, W, C), error (H, W))."""
        inputs, options = self.inputs, self.options

        def report(fraction: float) -> None:
            if self._progress is not None:
                total = max(self._total, self._done)
                self._progress(ProgressEvent("synthesizing", target, self._done, total, fraction))

        guides = [
            (inputs.guide(source), inputs.guide(target), options.guide_weight),
            (inputs.render(source), inputs.render(target), options.render_weight),
        ]
        what = f"the remap of frame {source} onto frame {target}"
        result = synthesize(
            inputs.render(source),
            [g for g in guides if g[2] > 0],
            params=self.options.engine,
            progress=engine_progress(self._should_stop, report, what),
        )
        self.remaps += 1
        self._step("remap", target)
        error = plate_error(
            inputs.guide(source), inputs.guide(target), result.nnf, options.engine.patch_size
        )
        return result.image, error

    def _render(self, frame: int) -> DeflickerResult:
        if self._should_stop():
            raise CancelledError(f"cancelled before frame {frame}")
        key = self.final_key(frame) if self.store is not None else None
        if self.store is not None and key is not None:
            stored = self.store.get_array(FINAL_KIND, key)
            if stored is None and self._frame_runner is not None:
                self._frame_runner(frame)
                stored = self.store.get_array(FINAL_KIND, key)
                if stored is None:
                    raise OSError(f"the cache at {self.store.root} lost frame {frame}")
            if stored is not None:
                self._done += len(self.neighbours(frame))
                self._step("output", frame)
                return DeflickerResult(stored[..., :-1], stored[..., -1])
        own = self.inputs.render(frame)
        remapped = [self._remap(source, frame) for source in self.neighbours(frame)]
        result = blend_remapped(own, remapped, self.options.detail_temperature)
        mask = self.inputs.mask_at(frame)
        if mask is not None:
            m = np.clip(mask, 0.0, 1.0)[..., None]
            image = (m * result.image + (1.0 - m) * own).astype(np.float32)
            result = DeflickerResult(image, (result.support * m[..., 0]).astype(np.float32))
        if self.store is not None and key is not None:
            entry = np.concatenate([result.image, result.support[..., None]], axis=2)
            self.store.put_array(FINAL_KIND, key, entry)
        self._step("output", frame)
        return result
