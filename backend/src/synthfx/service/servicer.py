# SPDX-License-Identifier: Apache-2.0
"""The ``synthfx.v1.Synthfx`` servicer: each rpc logs, delegates to its module and has its
failures mapped to the status table (``_unary``, ``_streaming``)."""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from synthfx import __version__
from synthfx.errors import InputError
from synthfx.service.config import ServerConfig
from synthfx.service.deflicker import deflicker
from synthfx.service.image_synth import image_synth
from synthfx.service.info import get_info
from synthfx.service.keyframe import keyframe
from synthfx.service.messages import check_parsed
from synthfx.service.render import render
from synthfx.service.sheet import pack_sheet
from synthfx.service.state import ServiceState
from synthfx.service.status import StatusError, abort, status_of
from synthfx.service.transfer import receive_frames
from synthfx.transport.shm import remove_orphaned_segments
from synthfx.transport.wire import check_content_hash
from synthfx.v1 import synthfx_pb2 as pb
from synthfx.v1 import synthfx_pb2_grpc as pb_grpc

log = logging.getLogger("synthfx.service")
_MAX_HASHES_PER_QUERY = 100_000
# Shared memory of crashed processes is looked for at most this often (on OpenSession; a
# sweep lists /dev/shm and tries a lock on each synthfx segment).
SWEEP_INTERVAL_S = 1.0
Handler = TypeVar("Handler", bound=Callable[..., Any])


def _fail(context: grpc.ServicerContext, rpc: str, error: BaseException) -> None:
    status, details = status_of(error)
    internal = status.kind == "internal"
    log.log(
        logging.ERROR if internal else logging.INFO,
        f"{rpc} failed",
        exc_info=error if internal else None,
        extra={"fields": {"code": status.code.name, "details": details}},
    )
    abort(context, status, details)


def _unary(rpc: str) -> Callable[[Handler], Handler]:
    """Maps exceptions of a unary-response handler to status codes."""

    def wrap(method: Handler) -> Handler:
        @functools.wraps(method)
        def handler(self: SynthfxServicer, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                check_parsed(request, rpc)
                return method(self, request, context)
            except Exception as error:
                _fail(context, rpc, error)

        return handler  # type: ignore[return-value]

    return wrap


def _streaming(rpc: str) -> Callable[[Handler], Handler]:
    """Maps exceptions of a streaming-response handler to status codes."""

    def wrap(method: Handler) -> Handler:
        @functools.wraps(method)
        def handler(self: SynthfxServicer, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                check_parsed(request, rpc)
                yield from method(self, request, context)
            except Exception as error:
                _fail(context, rpc, error)

        return handler  # type: ignore[return-value]

    return wrap


class SynthfxServicer(pb_grpc.SynthfxServicer):
    """The rpcs over one process's state (frame store, sessions, segment cache, workers)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.state = ServiceState.of(config)
        self._last_sweep = -math.inf

    def remove_orphaned_segments(self) -> None:
        """Removes shared memory left by crashed clients and servers: at start, and when a
        session opens (a host restarted after a crash opens new ones), at most once a second."""
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL_S:
            return
        self._last_sweep = now
        removed = remove_orphaned_segments()
        if removed:
            fields = {"count": len(removed), "names": removed[:8]}
            log.info("removed orphaned shared memory", extra={"fields": fields})

    def shutdown(self) -> None:
        self.state.calls.shutdown()

    # -- info and sessions ------------------------------------------------------------------

    @_unary("GetInfo")
    def GetInfo(self, request: pb.GetInfoRequest, context: grpc.ServicerContext):
        return get_info(self.state, request)

    @_unary("OpenSession")
    def OpenSession(self, request: pb.OpenSessionRequest, context: grpc.ServicerContext):
        _check_protocol(request)
        self.remove_orphaned_segments()
        session = self.state.sessions.open(request.client_name, request.label)
        fields = {"session": session.session_id, "client": session.client_name}
        fields |= {"label": session.label, "peer": context.peer()}
        log.info("session opened", extra={"fields": fields})
        return pb.OpenSessionResponse(
            session_id=session.session_id, idle_timeout_s=self.config.session_idle_timeout_s
        )

    @_unary("CloseSession")
    def CloseSession(self, request: pb.CloseSessionRequest, context: grpc.ServicerContext):
        self.state.sessions.close(request.session_id)
        log.info("session closed", extra={"fields": {"session": request.session_id}})
        return pb.CloseSessionResponse()

    @_unary("Cancel")
    def Cancel(self, request: pb.CancelRequest, context: grpc.ServicerContext):
        session = self.state.sessions.get(request.session_id)
        cancelled = self.state.sessions.cancel(session, request.request_id)
        fields = {"session": session.session_id, "request": request.request_id}
        log.info("cancel", extra={"fields": fields})
        return pb.CancelResponse(cancelled=cancelled)

    # -- frames -----------------------------------------------------------------------------

    @_unary("FindMissingFrames")
    def FindMissingFrames(
        self, request: pb.FindMissingFramesRequest, context: grpc.ServicerContext
    ):
        self.state.sessions.get(request.session_id)
        hashes = request.content_hashes
        if len(hashes) > _MAX_HASHES_PER_QUERY:
            raise InputError(
                f"{len(hashes)} hashes in one query, the limit is {_MAX_HASHES_PER_QUERY}"
            )
        for index, value in enumerate(hashes):
            check_content_hash(value, f"content_hashes[{index}]")
        return pb.FindMissingFramesResponse(missing=self.state.store.missing(hashes))

    @_unary("UploadFrames")
    def UploadFrames(self, request_iterator, context: grpc.ServicerContext):
        first = next(request_iterator, None)
        if first is None:
            raise InputError("empty upload: no messages")
        check_parsed(first, "UploadFrames")
        # A bare chunk (RawChunk) has no session id: rejected as an empty one.
        session = self.state.sessions.get(getattr(first, "session_id", ""))
        started = time.perf_counter()
        response = receive_frames(
            first, request_iterator, self.state.store, session.session_id, self.config.wire_limits
        )
        fields = {"session": session.session_id, "frames": len(response.stored)}
        fields |= {"inline_bytes": response.bytes_received}
        log.info("upload", extra={"fields": {**fields, "seconds": _since(started)}})
        return response

    # -- work -------------------------------------------------------------------------------

    @_streaming("Render")
    def Render(self, request: pb.RenderRequest, context: grpc.ServicerContext):
        yield from render(self.state, request, context)

    @_streaming("ImageSynth")
    def ImageSynth(self, request: pb.ImageSynthRequest, context: grpc.ServicerContext):
        yield from image_synth(self.state, request, context)

    @_streaming("Deflicker")
    def Deflicker(self, request: pb.DeflickerRequest, context: grpc.ServicerContext):
        yield from deflicker(self.state, request, context)

    @_streaming("PackSheet")
    def PackSheet(self, request: pb.PackSheetRequest, context: grpc.ServicerContext):
        yield from pack_sheet(self.state, request, context)

    @_streaming("Keyframe")
    def Keyframe(self, request: pb.KeyframeRequest, context: grpc.ServicerContext):
        yield from keyframe(self.state, request, context)


def _check_protocol(request: pb.OpenSessionRequest) -> None:
    if request.protocol_major != pb.PROTOCOL_VERSION_MAJOR:
        raise StatusError.failed_precondition(
            f"the client speaks synthfx protocol {request.protocol_major}."
            f"{request.protocol_minor}, this backend (synthfx {__version__}) speaks "
            f"{pb.PROTOCOL_VERSION_MAJOR}.{pb.PROTOCOL_VERSION_MINOR}: use matching versions"
        )


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)
