# SPDX-License-Identifier: Apache-2.0
"""``ImageSynth``: one guided synthesis of stored images (``synthfx imagesynth``); progress
events when asked, then the result header (image, optional NNF and error), then its chunks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import grpc
import numpy as np

from synthfx.engine import SynthesisParams, SynthesisResult, synthesize
from synthfx.errors import CancelledError, InputError
from synthfx.pipeline import ProgressEvent
from synthfx.progress import engine_progress
from synthfx.service.params import engine_params
from synthfx.service.state import ServiceState
from synthfx.service.status import StatusError
from synthfx.service.transfer import outgoing, result_image
from synthfx.transport.wire import check_content_hash, check_desc, decode, payload_size
from synthfx.v1 import synthfx_pb2 as pb

log = logging.getLogger("synthfx.service")


def image_synth(
    state: ServiceState, request: pb.ImageSynthRequest, context: grpc.ServicerContext
) -> Iterator[pb.ImageSynthResponse | bytes]:
    """The response stream: progress, the result, then its chunks (encoded messages)."""
    started = time.perf_counter()
    session = state.sessions.get(request.session_id)
    work = _synthesis(state, request, session.session_id)
    result = yield from state.calls.stream(
        session, request.request_id, context, work, _progress_message
    )
    like = request.style.desc
    images = [result_image(result.image, (), like, request.output)]
    if request.want_nnf:
        nnf = result.nnf.astype(np.float32)
        images.append(result_image(nnf, ("X", "Y"), like, request.output))
    if request.want_error:
        images.append(result_image(result.error, ("error",), like, request.output))
    placed, chunks = outgoing(
        [h for h, _ in images], [p for _, p in images], request.output,
        state.config.chunk_bytes, pb.ImageSynthResponse,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    yield pb.ImageSynthResponse(result=pb.ImageSynthResult(images=placed, seconds=seconds))
    yield from chunks
    fields = {"session": session.session_id, "guides": len(request.guides)}
    log.info("imagesynth", extra={"fields": {**fields, "seconds": round(seconds, 4)}})


def _synthesis(
    state: ServiceState, request: pb.ImageSynthRequest, session_id: str
) -> Callable[[Callable[[ProgressEvent], None], threading.Event], SynthesisResult]:
    """The synthesis of the request's stored images, checked before it is queued."""

    def stored(image: pb.Image, what: str) -> np.ndarray:
        return stored_image(state, image, what, session_id)

    style = stored(request.style, "style")
    guides = [
        (stored(pair.source, f"guides[{i}].source"), stored(pair.target, f"guides[{i}].target"),
         pair.weight)
        for i, pair in enumerate(request.guides)
    ]  # fmt: skip
    optional = {
        name: stored(getattr(request, name), name) if request.HasField(name) else None
        for name in ("modulation", "source_mask")
    }
    params = engine_params(request.engine, SynthesisParams())

    def work(report: Callable[[ProgressEvent], None], cancel: threading.Event) -> SynthesisResult:
        def synthesizing(fraction: float) -> None:
            report(ProgressEvent("synthesizing", 0, 0, 1, fraction))

        with state.cache.compute_slot(0, report, cancel):
            if cancel.is_set():
                raise CancelledError("cancelled before the synthesis started")
            return synthesize(
                style,
                guides,
                modulation=optional["modulation"],
                source_mask=optional["source_mask"],
                params=params,
                progress=engine_progress(
                    cancel.is_set, synthesizing if request.want_progress else None
                ),
            )

    return work


def _progress_message(event: ProgressEvent) -> pb.ImageSynthResponse | None:
    # Only the engine's own fraction: queueing events of the compute slot are not sent.
    if event.stage != "synthesizing":
        return None
    return pb.ImageSynthResponse(
        progress=pb.Progress(stage=event.stage, fraction=event.fraction or 0.0)
    )


def stored_image(state: ServiceState, image: pb.Image, what: str, session_id: str) -> np.ndarray:
    """A stored image of the session (no payload in ``image``), decoded; ``what`` names it.

    Raises:
        InputError: a bad description or a payload of the wrong size.
        StatusError: NOT_FOUND when it was never uploaded.
    """
    check_desc(image.desc, what, state.config.wire_limits)
    check_content_hash(image.content_hash, what)
    payload = state.store.get(image.content_hash, session_id)
    if payload is None:
        raise StatusError.not_found(
            f"{what}: content {image.content_hash} is not on the server; upload it first"
        )
    if len(payload) != payload_size(image.desc):
        raise InputError(
            f"{what}: the stored payload has {len(payload)} bytes, the description needs "
            f"{payload_size(image.desc)}"
        )
    return decode(image.desc, payload)
