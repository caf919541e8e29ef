# SPDX-License-Identifier: Apache-2.0
"""``Deflicker``: one frame of a deflicker job (``synthfx deflicker``) from the stored frames it
reads (the frame and its neighbours), computed or taken from the deflicker cache; progress
events, then the result header (image, optional support), then its chunks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc

from synthfx.deflicker import DeflickerOptions, DeflickerResult, frames_needed
from synthfx.errors import InputError
from synthfx.io.sequences import FrameRange, compact_frames
from synthfx.pipeline import ProgressEvent
from synthfx.service.jobs import StoredFrames, lookup_images
from synthfx.service.messages import progress_of
from synthfx.service.params import deflicker_options
from synthfx.service.state import ServiceState
from synthfx.service.transfer import outgoing, result_image
from synthfx.v1 import synthfx_pb2 as pb

log = logging.getLogger("synthfx.service")


@dataclass(frozen=True)
class FrameJob:
    """The checked inputs of one requested frame: the shot, the frames it reads, options."""

    shot: FrameRange
    needed: tuple[int, ...]
    render: StoredFrames
    guide: StoredFrames
    mask: StoredFrames | None
    options: DeflickerOptions
    desc: pb.ImageDesc  # of the frame's render image: results echo its bounds and names


def deflicker(
    state: ServiceState, request: pb.DeflickerRequest, context: grpc.ServicerContext
) -> Iterator[pb.DeflickerResponse | bytes]:
    """The response stream: progress, the result, then its chunks (encoded messages)."""
    started = time.perf_counter()
    session = state.sessions.get(request.session_id)
    job = frame_job(state, request.job, request.frame, session.session_id)
    result, remaps, cached = yield from state.calls.stream(
        session, request.request_id, context, _work(state, job, request.frame), _progress_message
    )
    names = tuple(job.desc.channel_names)
    images = [result_image(result.image, names, job.desc, request.output)]
    if request.want_support:
        images.append(result_image(result.support, ("support",), job.desc, request.output))
    placed, chunks = outgoing(
        [h for h, _ in images], [p for _, p in images], request.output,
        state.config.chunk_bytes, pb.DeflickerResponse,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    window = [job.needed[0], job.needed[-1]]
    yield pb.DeflickerResponse(
        result=pb.DeflickerResult(
            frame=request.frame,
            images=placed,
            window=window,
            remaps=remaps,
            seconds=seconds,
            from_cache=cached,
        )
    )
    yield from chunks
    fields = {
        "session": session.session_id,
        "request": request.request_id,
        "frame": request.frame,
        "window": f"{window[0]}-{window[1]}",
        "remaps": remaps,
        "cache": "hit" if cached else "miss",
        "output": "shm" if request.output.shm else "inline",
        "seconds": round(seconds, 4),
    }
    log.info("deflicker", extra={"fields": fields})


def frame_job(state: ServiceState, job: pb.DeflickerJob, frame: int, session_id: str) -> FrameJob:
    """The inputs ``frame`` of ``job`` reads, looked up in the frame store (or read by path).

    Raises:
        InputError: bad ranges, options or descriptions; frames the output reads are missing.
        StatusError: NOT_FOUND for frames never uploaded or missing files,
            PERMISSION_DENIED for paths outside the read roots.
    """
    if job.first_frame > job.last_frame:
        raise InputError(f"job: first_frame {job.first_frame} is after last_frame {job.last_frame}")
    shot = FrameRange(job.first_frame, job.last_frame)
    config = state.config
    if len(shot) > config.max_frames:
        raise InputError(f"job: {len(shot)} frames, the limit is {config.max_frames}")
    if frame not in shot:
        raise InputError(f"frame {frame} is outside the job's frames {shot}")
    options = deflicker_options(job.params)
    needed = frames_needed(frame, range(shot.first, shot.last + 1), options.mode, options.window)
    span = FrameRange(needed[0], needed[-1])
    lookup = (state.store, session_id, config.wire_limits, shot, state.files, span)
    sources: dict[str, dict] = {}
    for what, items in (("frames", job.frames), ("guide", job.guide), ("mask", job.mask)):
        images = lookup_images(items, f"job.{what}", *lookup)
        if what == "mask" and not images:
            continue
        lacking = [f for f in needed if f not in images]
        if lacking:
            raise InputError(
                f"job.{what} lacks frame(s) {compact_frames(lacking)}; frame {frame} reads "
                f"frames {compact_frames(list(needed))} (mode {options.mode}, window "
                f"{options.window})"
            )
        sources[what] = {f: images[f] for f in needed}
    mask = sources.get("mask")
    return FrameJob(
        shot=shot,
        needed=needed,
        render=StoredFrames(shot, sources["frames"], "job.frames"),
        guide=StoredFrames(shot, sources["guide"], "job.guide"),
        mask=StoredFrames(shot, mask, "job.mask") if mask is not None else None,
        options=options,
        desc=sources["frames"][frame].desc,
    )


# A frame's result, its engine remaps and whether it came from the cache.
_Outcome = tuple[DeflickerResult, int, bool]


def _work(
    state: ServiceState, job: FrameJob, frame: int
) -> Callable[[Callable[[ProgressEvent], None], threading.Event], _Outcome]:
    def work(report: Callable[[ProgressEvent], None], cancel: threading.Event) -> _Outcome:
        # Run here, with the call's report and cancel; sizes are checked before the slot.
        return state.deflicker_cache.render(
            job.render, job.guide, job.mask, job.options, frame, report, cancel
        )

    return work


def _progress_message(event: ProgressEvent) -> pb.DeflickerResponse:
    return pb.DeflickerResponse(progress=progress_of(event))
