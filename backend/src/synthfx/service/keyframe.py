# SPDX-License-Identifier: Apache-2.0
"""``Keyframe``: a stored plate styled from stored reference paintings (``synthfx keyframe``);
progress events, then the result header (the keyframe), then its chunks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import numpy as np

from synthfx.errors import CancelledError, InputError
from synthfx.keyframe import KeyframeOptions, KeyframeResult, check_method, make_keyframe
from synthfx.pipeline import ProgressEvent
from synthfx.service.image_synth import stored_image
from synthfx.service.messages import progress_of
from synthfx.service.params import keyframe_options
from synthfx.service.state import ServiceState
from synthfx.service.transfer import outgoing, result_image
from synthfx.v1 import synthfx_pb2 as pb

log = logging.getLogger("synthfx.service")


@dataclass(frozen=True)
class KeyframeJob:
    """The checked inputs of one keyframe: decoded images and options."""

    source: np.ndarray
    references: list[np.ndarray]
    mask: np.ndarray | None
    options: KeyframeOptions


def keyframe(
    state: ServiceState, request: pb.KeyframeRequest, context: grpc.ServicerContext
) -> Iterator[pb.KeyframeResponse | bytes]:
    """The response stream: progress, the result, then its chunks (encoded messages)."""
    started = time.perf_counter()
    session = state.sessions.get(request.session_id)
    job = keyframe_job(state, request, session.session_id)
    result = yield from state.calls.stream(
        session, request.request_id, context, _work(state, job), _progress_message
    )
    names = ("R", "G", "B", "A")[: result.image.shape[2]]
    images = [result_image(result.image, names, request.source.desc, request.output)]
    placed, chunks = outgoing(
        [h for h, _ in images], [p for _, p in images], request.output,
        state.config.chunk_bytes, pb.KeyframeResponse,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    yield pb.KeyframeResponse(
        result=pb.KeyframeResult(images=placed, evaluations=len(result.losses), seconds=seconds)
    )
    yield from chunks
    fields = {
        "session": session.session_id,
        "request": request.request_id,
        "method": job.options.method,
        "references": len(job.references),
        "output": "shm" if request.output.shm else "inline",
        "seconds": round(seconds, 4),
    }
    log.info("keyframe", extra={"fields": fields})


def keyframe_job(state: ServiceState, request: pb.KeyframeRequest, session_id: str) -> KeyframeJob:
    """The request's images from the frame store and its options, checked before any work.

    Raises:
        InputError: bad descriptions or options, no reference, gatys without torch or weights.
        StatusError: NOT_FOUND for images never uploaded.
    """
    if not request.HasField("source"):
        raise InputError("source: no plate given: upload the frame to style and send it")
    if not request.references:
        raise InputError("references: no reference painting given: send at least one")
    options = keyframe_options(request.params, state.config.models_dir)
    check_method(options)
    source = stored_image(state, request.source, "source", session_id)
    references = [
        stored_image(state, image, f"references[{i}]", session_id)
        for i, image in enumerate(request.references)
    ]
    mask = None
    if request.HasField("mask"):
        mask = stored_image(state, request.mask, "mask", session_id)
    return KeyframeJob(source, references, mask, options)


def _work(
    state: ServiceState, job: KeyframeJob
) -> Callable[[Callable[[ProgressEvent], None], threading.Event], KeyframeResult]:
    def work(report: Callable[[ProgressEvent], None], cancel: threading.Event) -> KeyframeResult:
        with state.cache.compute_slot(0, report, cancel):
            if cancel.is_set():
                raise CancelledError("cancelled before the keyframe started")
            return make_keyframe(
                job.source, job.references, mask=job.mask, options=job.options,
                progress=report, cancel=cancel,
            )  # fmt: skip

    return work


def _progress_message(event: ProgressEvent) -> pb.KeyframeResponse:
    return pb.KeyframeResponse(progress=progress_of(event))
