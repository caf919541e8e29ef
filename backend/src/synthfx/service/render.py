# SPDX-License-Identifier: Apache-2.0
"""``Render``: one frame of a stylization job, computed with its keyframe segment or taken from
the segment cache; progress events, then the result header, then its chunks."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import grpc

from synthfx.pipeline import ProgressEvent
from synthfx.service.jobs import segment_job
from synthfx.service.messages import progress_of
from synthfx.service.state import ServiceState
from synthfx.service.transfer import outgoing, result_image
from synthfx.v1 import synthfx_pb2 as pb

log = logging.getLogger("synthfx.service")


def render(
    state: ServiceState, request: pb.RenderRequest, context: grpc.ServicerContext
) -> Iterator[pb.RenderResponse | bytes]:
    """The response stream: progress, the result, then its chunks (encoded messages)."""
    started = time.perf_counter()
    session = state.sessions.get(request.session_id)
    config = state.config
    job = segment_job(
        request.job,
        request.frame,
        state.store,
        session.session_id,
        config.wire_limits,
        config.max_frames,
        config.models_dir,
        state.files,
    )
    result, cached = yield from state.calls.stream(
        session,
        request.request_id,
        context,
        lambda report, cancel: state.cache.render(
            job, request.frame, report, cancel, request.refresh
        ),
        _progress_message,
    )
    images = [result_image(result.image, ("R", "G", "B", "A"), job.first_desc, request.output)]
    if request.want_error:
        images.append(result_image(result.error, ("error",), job.first_desc, request.output))
    placed, chunks = outgoing(
        [h for h, _ in images], [p for _, p in images], request.output, config.chunk_bytes,
        pb.RenderResponse,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    segment = [job.segment.first, job.segment.last]
    yield pb.RenderResponse(
        result=pb.RenderResult(
            frame=request.frame, images=placed, from_cache=cached, segment=segment, seconds=seconds
        )
    )
    yield from chunks
    fields = {
        "session": session.session_id,
        "request": request.request_id,
        "frame": request.frame,
        "segment": f"{job.segment.first}-{job.segment.last}",
        "cache": "hit" if cached else "miss",
        "output": "shm" if request.output.shm else "inline",
        "seconds": round(seconds, 4),
    }
    log.info("render", extra={"fields": fields})


def _progress_message(event: ProgressEvent) -> pb.RenderResponse:
    return pb.RenderResponse(progress=progress_of(event))
