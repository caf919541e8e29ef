# SPDX-License-Identifier: Apache-2.0
"""``Stylizer``: a shot and a few painted keyframes in, every frame stylized out.

    stylizer = Stylizer(open_frames("shot/f.####.exr", "1001-1100"), {1001: style})
    stylizer.run(lambda frame, result: write_image(out.path(frame), result.image))

Frames are streamed: a pass keeps only its previous frame, pass results go to a
content-addressed store on disk, and each output frame is blended from the stored passes as
it is written. ``render(frame)`` gives random access: it computes (or finds in the store) the
passes the frame depends on, so the frames after it come straight from the store.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthfx import _native
from synthfx.engine import check_params
from synthfx.errors import CancelledError
from synthfx.flow.base import FlowEstimator
from synthfx.flow.factory import make_flow_estimator
from synthfx.pipeline.compose import PassSource, blend_sources, finish_frame
from synthfx.pipeline.inputs import Frames, ShotInputs, rgb_of
from synthfx.pipeline.options import StylizeOptions
from synthfx.pipeline.passes import (
    PASS_KIND,
    PassContext,
    fit_pyramid,
    pass_frame_keys,
    run_pass,
)
from synthfx.pipeline.planning import Pass, Plan, plan_segments
from synthfx.pipeline.store import ResultStore, chain_key
from synthfx.pipeline.timing import StageTimes

FINAL_KIND = "final"
# Bumped whenever the same inputs and options give other output frames (blend changes): cached
# frames of an earlier version are then recomputed, not mixed into a shot. v2: cubic carried
# keys and detail restoration.
FINAL_FORMAT = "synthfx-final-v2"
# Pass frames kept in memory from their synthesis to their blend within one ``run`` or
# ``render`` call, so the blend does not read back what was just stored; a segment whose
# passes exceed it reads the rest from the store.
FRESH_PASS_BYTES = 1 << 30
# Runs a pass elsewhere (``synthfx.cluster``) until every frame of it is in the store: called
# with (index, pass, its frames' store keys, step), it calls step(frame) for every frame
# of any pass finished meanwhile.
PassRunner = Callable[[int, Pass, list[str], Callable[[int], None]], None]


@dataclass(frozen=True)
class RenderResult:
    """One output frame.

    Attributes:
        image: (H, W, 4) float32 premultiplied RGBA.
        error: (H, W) float32 synthesis error (0 at keyframes; the better pass's when blended).
    """

    image: np.ndarray
    error: np.ndarray


@dataclass(frozen=True)
class ProgressEvent:
    """Progress of ``render`` or ``run``: ``done`` of ``total`` steps after ``stage`` of ``frame``.

    Stages: "synthesis" (a pass frame computed or found in the store), "output" (a frame
    blended and handed out), "skipped" (an output already up to date), and "synthesizing": the
    engine is working on a pass frame, ``fraction`` of it done (``done`` and ``total`` unchanged;
    at most every ``synthfx.progress.SYNTHESIS_EVENT_INTERVAL_S`` seconds, none for quick frames).
    """

    stage: str
    frame: int
    done: int
    total: int
    fraction: float | None = None  # "synthesizing" only: part of this frame's synthesis, [0, 1)


@dataclass
class RunSummary:
    """What ``run`` did: frame counts and seconds by stage."""

    frames: int = 0
    written: int = 0
    skipped: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)


class _FreshPasses:
    """Pass entries synthesized during the current call and not yet blended, by store key.

    Over ``limit_bytes`` the entries of the latest frames are dropped: frames are blended in
    increasing order, so those are needed last (and are in the store).
    """

    def __init__(self, limit_bytes: int) -> None:
        self._limit = limit_bytes
        self._entries: dict[str, tuple[int, np.ndarray]] = {}
        self._bytes = 0

    def add(self, frame: int, key: str, entry: np.ndarray) -> None:
        if key in self._entries:
            return
        self._entries[key] = (frame, entry)
        self._bytes += entry.nbytes
        while self._bytes > self._limit:
            latest = max(self._entries, key=lambda k: self._entries[k][0])
            self._bytes -= self._entries.pop(latest)[1].nbytes

    def take(self, key: str) -> np.ndarray | None:
        item = self._entries.pop(key, None)
        if item is None:
            return None
        self._bytes -= item[1].nbytes
        return item[1]

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


class Stylizer:
    """Stylizes a shot from painted keyframes.

    Args:
        frames: the shot (``synthfx.io.open_frames(...)`` or ``MemoryFrames``).
        keys: keyframe number -> painted style, (H, W, 1|2|3|4) float32 (2 and 4: with alpha).
        mask: optional mask frames over the same range.
        options: job options (Ezsynth's defaults).
        cache_dir: content-addressed store of flows, passes and frames (its directory, or the
            ``ResultStore`` itself); reruns with the same inputs reuse it. None: a private
            temporary directory removed by ``close``.
        flow_cache_dir: where flows are cached instead (shared by jobs whose options differ
            but whose frames and flow method do not: flows are keyed by exactly those).
        progress: called with a ``ProgressEvent`` after every step, and during long syntheses.
        cancel: when set, the job stops with ``CancelledError`` within one PatchMatch iteration
            of the synthesis running (or before the next frame); nothing partial is stored.
        pass_runner: runs the passes instead of this process (a cluster; see ``PassRunner``).

    Raises:
        InputError: no keys, keys outside the range, size or channel mismatches, bad options,
            an unusable flow spec; the message names the offending value.
    """

    def __init__(
        self,
        frames: Frames,
        keys: Mapping[int, np.ndarray],
        *,
        mask: Frames | None = None,
        options: StylizeOptions | None = None,
        cache_dir: str | Path | ResultStore | None = None,
        flow_cache_dir: str | Path | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        cancel: threading.Event | None = None,
        pass_runner: PassRunner | None = None,
    ) -> None:
        self.options = options or StylizeOptions()
        check_params(self.options.engine)  # bad engine options fail here, before any work
        self.inputs = ShotInputs(frames, keys, mask)
        frame_range = self.inputs.frame_range
        self.plan: Plan = plan_segments(
            frame_range.first, frame_range.last, self.inputs.keys, self.options.only
        )
        self._flow: FlowEstimator = make_flow_estimator(self.options.flow)
        self._temporary_dir: str | None = None
        if isinstance(cache_dir, ResultStore):
            self.store = cache_dir
        else:
            if cache_dir is None:
                cache_dir = self._temporary_dir = tempfile.mkdtemp("-synthfx")
            self.store = ResultStore(cache_dir)
        self._flow_dir = Path(flow_cache_dir) if flow_cache_dir is not None else None
        self.times = StageTimes()
        self._progress = progress
        self._cancel = cancel
        self._pass_runner = pass_runner
        self._pass_keys: dict[int, list[str]] = {}
        self._fresh = _FreshPasses(FRESH_PASS_BYTES)
        self._done = 0
        self._total = 0

    # -- structure ------------------------------------------------------------------------

    @property
    def frame_range(self) -> range:
        """Every frame of the shot."""
        return range(self.plan.first, self.plan.last + 1)

    def segment_of(self, frame: int) -> range:
        """The frames whose passes ``render(frame)`` computes and stores."""
        passes = [self.plan.passes[i] for i in self.plan.passes_for(frame)]
        if not passes:
            return range(frame, frame + 1)
        frames = [f for run in passes for f in (run.key, *run.frames)]
        return range(min(frames), max(frames) + 1)

    def pass_keys(self, index: int) -> list[str]:
        """Store keys of the frames of pass ``index`` (in ``plan.passes[index].frames`` order)."""
        return list(self._keys_of_pass(index))

    def final_key(self, frame: int) -> str:
        """Content key of the output frame: changes whenever any input or option it uses does."""
        inputs = self.inputs
        if frame not in self.plan.frames:
            self.plan.passes_for(frame)  # raises the out-of-range error
        plan = self.plan.frames[frame]
        parts = [
            FINAL_FORMAT,
            _native.version(),
            self.options.fingerprint(),
            inputs.frame_digest(frame),
            inputs.mask_digest(frame),
        ]
        if plan.key is not None:
            parts.append(f"key:{inputs.key_digests[plan.key]}")
        for index, weight in plan.sources:
            run = self.plan.passes[index]
            keys = self._keys_of_pass(index)
            parts.append(f"{keys[run.frames.index(frame)]}:{weight!r}")
        return chain_key(*parts)

    # -- work -----------------------------------------------------------------------------

    def render(self, frame: int) -> RenderResult:
        """The output of one frame, computing and storing what it depends on.

        Raises:
            InputError: ``frame`` is outside the shot.
            CancelledError: the cancel event was set.
        """
        self._begin(sum(len(self.plan.passes[i].frames) for i in self.plan.passes_for(frame)) + 1)
        try:
            return self._render(frame, keep=True)
        finally:
            self._fresh.clear()  # the other frames are read from the store when asked for

    def run(
        self,
        write: Callable[[int, RenderResult], None],
        *,
        done: Callable[[int], bool] | None = None,
    ) -> RunSummary:
        """Renders every frame in order and hands each to ``write`` as soon as it is ready.

        Args:
            write: called with (frame, result) for each frame, in increasing frame order.
            done: optional; frames for which it returns True are skipped (already written).

        Returns:
            The summary, with seconds by stage (including ``write``).
        """
        summary = RunSummary()
        self.times = StageTimes()
        self._begin(sum(len(run.frames) for run in self.plan.passes) + len(self.frame_range))
        try:
            with self.times.stage("total"):
                for frame in self.frame_range:
                    summary.frames += 1
                    if done is not None and done(frame):
                        summary.skipped += 1
                        self._step("skipped", frame)
                        continue
                    result = self._render(frame, keep=False)
                    with self.times.stage("write"):
                        write(frame, result)
                    summary.written += 1
        finally:
            self._fresh.clear()
        stages = self.times.as_dict()
        summary.seconds = stages.pop("total")
        summary.stage_seconds = stages
        return summary

    def close(self) -> None:
        """Removes the temporary store, if this stylizer made one."""
        if self._temporary_dir is not None:
            shutil.rmtree(self._temporary_dir, ignore_errors=True)
            self._temporary_dir = None

    def __enter__(self) -> Stylizer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _begin(self, total: int) -> None:
        self._done, self._total = 0, total

    def _step(self, stage: str, frame: int) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(ProgressEvent(stage, frame, self._done, max(self._total, self._done)))

    def _synthesizing(self, frame: int, fraction: float) -> None:
        if self._progress is not None:
            total = max(self._total, self._done)
            self._progress(ProgressEvent("synthesizing", frame, self._done, total, fraction))

    def _should_stop(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def _context(self) -> PassContext:
        return PassContext(
            inputs=self.inputs,
            options=self.options,
            engine=fit_pyramid(self.options.engine, self.inputs.height, self.inputs.width),
            store=self.store,
            flow=lambda: self._flow,
            times=self.times,
            should_stop=self._should_stop,
            on_frame=lambda frame: self._step("synthesis", frame),
            on_synthesis=self._synthesizing,
            flow_dir=self._flow_dir,
            on_result=self._fresh.add,
        )

    def _keys_of_pass(self, index: int) -> list[str]:
        if index not in self._pass_keys:
            self._pass_keys[index] = pass_frame_keys(self._context(), self.plan.passes[index])
        return self._pass_keys[index]

    def _pass_frame(self, index: int, frame: int) -> np.ndarray:
        run = self.plan.passes[index]
        key = self._keys_of_pass(index)[run.frames.index(frame)]
        entry = self._fresh.take(key)
        if entry is None:
            entry = self.store.get_array(PASS_KIND, key)
        if entry is None:
            if self._pass_runner is None:
                run_pass(self._context(), run)
            else:
                keys = self._keys_of_pass(index)
                self._pass_runner(index, run, keys, lambda done: self._step("synthesis", done))
            entry = self._fresh.take(key)
        if entry is None:
            entry = self.store.get_array(PASS_KIND, key)
        if entry is None:
            raise OSError(f"the cache at {self.store.root} lost frame {frame} as it was written")
        return entry

    def _render(self, frame: int, *, keep: bool) -> RenderResult:
        if self._should_stop():
            raise CancelledError(f"cancelled before frame {frame}")
        final_key = self.final_key(frame)
        stored = self.store.get_array(FINAL_KIND, final_key)
        if stored is not None:
            self._step("output", frame)
            return RenderResult(stored[..., :4], stored[..., 4])
        plan = self.plan.frames[frame]
        if plan.key is not None:
            stylized = self.inputs.keys[plan.key]
            error = np.zeros(stylized.shape[:2], np.float32)
        else:
            sources = []
            for index, weight in plan.sources:
                key = self.plan.passes[index].key
                entry = self._pass_frame(index, frame)
                key_frame = rgb_of(self.inputs.frame(key))
                sources.append(PassSource(entry, weight, self.inputs.keys[key], key_frame))
            with self.times.stage("blend"):
                rgb = rgb_of(self.inputs.frame(frame))
                masked = self.options.mask_mode == "before" and self.inputs.mask is not None
                stylized, error = blend_sources(sources, rgb, self.options, masked_passes=masked)
        with self.times.stage("blend"):
            image = finish_frame(
                stylized, self.inputs.frame(frame), self.inputs.mask_at(frame), self.options
            )
        result = RenderResult(image, np.ascontiguousarray(error, dtype=np.float32))
        if keep:
            with self.times.stage("write"):
                entry = np.concatenate([result.image, result.error[..., None]], axis=2)
                self.store.put_array(FINAL_KIND, final_key, entry)
        self._step("output", frame)
        return result
