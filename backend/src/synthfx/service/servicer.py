# SPDX-License-Identifier: Apache-2.0
"""The ``synthfx.v1.Synthfx`` servicer: check, delegate, map errors to status codes, log."""

from __future__ import annotations

import functools
import logging
import math
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
import numpy as np

from synthfx import __version__, _native
from synthfx.engine import SynthesisParams, cuda_available, synthesize
from synthfx.errors import CancelledError, InputError
from synthfx.pipeline import ProgressEvent, RenderResult
from synthfx.progress import engine_progress
from synthfx.service.config import ServerConfig
from synthfx.service.files import ReadRoots
from synthfx.service.frame_store import FrameStore
from synthfx.service.jobs import segment_job
from synthfx.service.messages import check_parsed
from synthfx.service.params import engine_params, options_schema
from synthfx.service.segment_cache import SegmentCache
from synthfx.service.sessions import Session, SessionRegistry
from synthfx.service.status import StatusError, abort, status_of
from synthfx.service.transfer import outgoing, receive_frames
from synthfx.service.upload_slots import UploadSlots
from synthfx.transport.shm import Segment, remove_orphaned_segments
from synthfx.transport.wire import (
    check_content_hash,
    check_desc,
    content_hash,
    decode,
    encode,
    payload_size,
)
from synthfx.v1 import synthfx_pb2 as pb
from synthfx.v1 import synthfx_pb2_grpc as pb_grpc

log = logging.getLogger("synthfx.service")
_DONE = object()
_MAX_HASHES_PER_QUERY = 100_000
_PROBE_TOKEN_BYTES = 256
# Memory of dropped frames kept for new ones (anonymous, and upload slots): at most a quarter
# of the frame store each.
_REUSE_MAX_BYTES = 1 << 30
_MAX_SLOTS_PER_REQUEST = 256
# Shared memory of crashed processes is looked for at most this often (on OpenSession; a
# sweep lists /dev/shm and tries a lock on each synthfx segment: well under a millisecond).
_SWEEP_INTERVAL_S = 1.0
Handler = TypeVar("Handler", bound=Callable[..., Any])


def _fail(context: grpc.ServicerContext, rpc: str, error: BaseException, fields: dict) -> None:
    status, details = status_of(error)
    internal = status.kind == "internal"
    log.log(
        logging.ERROR if internal else logging.INFO,
        f"{rpc} failed",
        exc_info=error if internal else None,
        extra={"fields": {**fields, "code": status.code.name, "details": details}},
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
                _fail(context, rpc, error, {})

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
                _fail(context, rpc, error, {})

        return handler  # type: ignore[return-value]

    return wrap


def _result_image(
    pixels: np.ndarray, names: tuple[str, ...], like: pb.ImageDesc, output: pb.OutputTarget
) -> tuple[pb.Image, bytes]:
    """Header and payload of a result, in the output's dtype and row order."""
    desc = pb.ImageDesc(
        width=pixels.shape[1],
        height=pixels.shape[0],
        channels=1 if pixels.ndim == 2 else pixels.shape[2],
        channel_names=list(names),
        dtype=output.dtype or pb.DTYPE_FLOAT32,
        row_order=output.row_order or like.row_order or pb.ROW_ORDER_TOP_DOWN,
        pixel_aspect=like.pixel_aspect,
    )
    if like.HasField("bounds"):
        desc.bounds.CopyFrom(like.bounds)
    check_desc(desc, "output")
    payload = encode(pixels, desc)
    header = pb.Image(desc=desc, content_hash=content_hash(payload), payload_bytes=len(payload))
    return header, payload


class SynthfxServicer(pb_grpc.SynthfxServicer):
    """Thin servicer over the frame store, sessions and the segment cache."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        reuse = min(config.frame_store_bytes // 4, _REUSE_MAX_BYTES)
        self.store = FrameStore(
            config.frame_store_bytes, config.cache_dir / "frames", config.frame_disk_bytes, reuse
        )
        self.files = ReadRoots(config.read_roots)
        self.slots = UploadSlots(config.frame_store_bytes, reuse)
        self.sessions = SessionRegistry(
            config.max_sessions, config.session_idle_timeout_s, self._session_closed
        )
        self.cache = SegmentCache(config.cache_dir, config.cache_limit_bytes, config.compute_slots)
        # Renders run here so the handler thread can stream their progress meanwhile.
        self._workers = ThreadPoolExecutor(config.workers, thread_name_prefix="synthfx-render")
        self._active = 0
        self._active_lock = threading.Lock()
        self._last_sweep = -math.inf

    def remove_orphaned_segments(self) -> None:
        """Removes shared memory left by crashed clients and servers: at start, and when a
        session opens (a host restarted after a crash opens new ones), at most once a second."""
        now = time.monotonic()
        if now - self._last_sweep < _SWEEP_INTERVAL_S:
            return
        self._last_sweep = now
        removed = remove_orphaned_segments()
        if removed:
            fields = {"count": len(removed), "names": removed[:8]}
            log.info("removed orphaned shared memory", extra={"fields": fields})

    def shutdown(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
        self.slots.close()

    def _session_closed(self, session_id: str) -> None:
        self.store.release(session_id)
        self.slots.release(session_id)

    # -- info and sessions ------------------------------------------------------------------

    @_unary("GetInfo")
    def GetInfo(self, request: pb.GetInfoRequest, context: grpc.ServicerContext):
        config = self.config
        frames, frame_bytes = self.store.usage()
        used, segments, waiting = self.cache.usage()
        slots_lent, slots_pooled = self.slots.usage()
        stats = self.cache.stats
        cuda_ok, cuda_reason = cuda_available()
        limits = config.wire_limits
        response = pb.GetInfoResponse(
            backend_version=__version__,
            protocol_major=pb.PROTOCOL_VERSION_MAJOR,
            protocol_minor=pb.PROTOCOL_VERSION_MINOR,
            engine_version=_native.version(),
            devices=[
                pb.Device(kind="cpu", name=f"{os.cpu_count()} cores", available=True),
                pb.Device(kind="cuda", name="cuda", available=cuda_ok, reason=cuda_reason),
            ],
            limits=pb.Limits(
                max_message_bytes=config.max_message_bytes,
                chunk_bytes=config.chunk_bytes,
                max_width=limits.max_width,
                max_height=limits.max_height,
                max_channels=limits.max_channels,
                max_frames=config.max_frames,
                max_sessions=config.max_sessions,
                frame_store_bytes=config.frame_store_bytes,
                cache_limit_bytes=config.cache_limit_bytes,
            ),
            load=pb.Load(
                sessions=self.sessions.count(),
                active_calls=self._active,
                queued_calls=waiting,
                frames_stored=frames,
                frame_store_used_bytes=frame_bytes,
                frame_store_disk_bytes=self.store.disk_usage(),
                upload_slots_lent_bytes=slots_lent,
                upload_slots_pooled_bytes=slots_pooled,
                reusable_buffer_bytes=self.store.reusable_bytes(),
            ),
            cache=pb.CacheUse(
                used_bytes=used,
                limit_bytes=config.cache_limit_bytes,
                jobs=segments,
                hits=stats.hits,
                misses=stats.misses,
                evictions=stats.evictions,
            ),
            auth_required=config.token is not None,
            host=socket.gethostname(),
            options=options_schema(),
        )
        if request.HasField("shm_probe"):
            response.shm_probe_ok, response.shm_probe_error = _probe(request)
        return response

    @_unary("OpenSession")
    def OpenSession(self, request: pb.OpenSessionRequest, context: grpc.ServicerContext):
        if request.protocol_major != pb.PROTOCOL_VERSION_MAJOR:
            raise StatusError.failed_precondition(
                f"the client speaks synthfx protocol {request.protocol_major}."
                f"{request.protocol_minor}, this backend (synthfx {__version__}) speaks "
                f"{pb.PROTOCOL_VERSION_MAJOR}.{pb.PROTOCOL_VERSION_MINOR}: use matching versions"
            )
        self.remove_orphaned_segments()
        session = self.sessions.open(request.client_name, request.label)
        log.info(
            "session opened",
            extra={
                "fields": {
                    "session": session.session_id,
                    "client": session.client_name,
                    "label": session.label,
                    "peer": context.peer(),
                }
            },
        )
        return pb.OpenSessionResponse(
            session_id=session.session_id, idle_timeout_s=self.config.session_idle_timeout_s
        )

    @_unary("CloseSession")
    def CloseSession(self, request: pb.CloseSessionRequest, context: grpc.ServicerContext):
        self.sessions.close(request.session_id)
        log.info("session closed", extra={"fields": {"session": request.session_id}})
        return pb.CloseSessionResponse()

    @_unary("Cancel")
    def Cancel(self, request: pb.CancelRequest, context: grpc.ServicerContext):
        session = self.sessions.get(request.session_id)
        cancelled = self.sessions.cancel(session, request.request_id)
        log.info(
            "cancel",
            extra={"fields": {"session": session.session_id, "request": request.request_id}},
        )
        return pb.CancelResponse(cancelled=cancelled)

    # -- frames -----------------------------------------------------------------------------

    @_unary("FindMissingFrames")
    def FindMissingFrames(
        self, request: pb.FindMissingFramesRequest, context: grpc.ServicerContext
    ):
        self.sessions.get(request.session_id)
        if len(request.content_hashes) > _MAX_HASHES_PER_QUERY:
            raise InputError(
                f"{len(request.content_hashes)} hashes in one query, the limit is "
                f"{_MAX_HASHES_PER_QUERY}"
            )
        for index, value in enumerate(request.content_hashes):
            check_content_hash(value, f"content_hashes[{index}]")
        return pb.FindMissingFramesResponse(missing=self.store.missing(request.content_hashes))

    @_unary("UploadFrames")
    def UploadFrames(self, request_iterator, context: grpc.ServicerContext):
        first = next(request_iterator, None)
        if first is None:
            raise InputError("empty upload: no messages")
        check_parsed(first, "UploadFrames")
        # A bare chunk (RawChunk) has no session id: rejected as an empty one.
        session = self.sessions.get(getattr(first, "session_id", ""))
        started = time.perf_counter()
        response = receive_frames(
            first,
            request_iterator,
            self.store,
            session.session_id,
            self.config.wire_limits,
            self.slots,
        )
        log.info(
            "upload",
            extra={
                "fields": {
                    "session": session.session_id,
                    "frames": len(response.stored),
                    "inline_bytes": response.bytes_received,
                    "seconds": round(time.perf_counter() - started, 4),
                }
            },
        )
        return response

    @_unary("ReserveUploadSlots")
    def ReserveUploadSlots(
        self, request: pb.ReserveUploadSlotsRequest, context: grpc.ServicerContext
    ):
        session = self.sessions.get(request.session_id)
        largest = self.config.wire_limits.max_payload_bytes
        if len(request.sizes) > _MAX_SLOTS_PER_REQUEST or any(
            size > largest for size in request.sizes
        ):
            raise InputError(
                f"ReserveUploadSlots: at most {_MAX_SLOTS_PER_REQUEST} slots of at most "
                f"{largest} bytes (the largest frame), got {len(request.sizes)} of up to "
                f"{max(request.sizes, default=0)} bytes"
            )
        _, used = self.store.usage()
        full = used + sum(request.sizes) > self.store.limit_bytes
        slots = self.slots.reserve(session.session_id, list(request.sizes), new_ok=full)
        return pb.ReserveUploadSlotsResponse(slots=slots)

    @_streaming("DownloadFrame")
    def DownloadFrame(self, request: pb.DownloadFrameRequest, context: grpc.ServicerContext):
        session = self.sessions.get(request.session_id)
        check_content_hash(request.content_hash, "content_hash")
        payload = self.store.get(request.content_hash, request.session_id)
        desc = self.store.describe(request.content_hash)
        if payload is None or desc is None:
            raise StatusError.not_found(f"frame {request.content_hash} is not on the server")
        header = pb.Image(desc=desc, content_hash=request.content_hash, payload_bytes=len(payload))
        slot = self.slots.handle_of(payload) if request.read_server_segment else None
        if slot is not None:
            session.leases.append(payload)  # the client reads it after this call returns
            header.shm.CopyFrom(slot)
            yield pb.DownloadFrameResponse(image=header)
            return
        placed, chunks = outgoing(
            [header], [payload], request.output, self.config.chunk_bytes, pb.DownloadFrameResponse
        )
        yield pb.DownloadFrameResponse(image=placed[0])
        yield from chunks

    # -- work -------------------------------------------------------------------------------

    def _run(
        self,
        session: Session,
        request_id: str,
        context: grpc.ServicerContext,
        work: Callable[[Callable[[ProgressEvent], None], Any], Any],
    ) -> Iterator[ProgressEvent | Future]:
        """Runs ``work(progress, cancel)`` on a worker; yields its progress, then its future."""
        request_id, cancel = self.sessions.start_call(session, request_id)
        # Client cancellation, a passed deadline and a lost connection all end the call.
        context.add_callback(cancel.set)
        events: queue.Queue[Any] = queue.Queue()
        with self._active_lock:
            self._active += 1
        try:
            future = self._workers.submit(work, events.put, cancel)
            future.add_done_callback(lambda _: events.put(_DONE))
            while (event := events.get()) is not _DONE:
                yield event
            yield future
        finally:
            with self._active_lock:
                self._active -= 1
            self.sessions.end_call(session, request_id)

    @_streaming("Render")
    def Render(self, request: pb.RenderRequest, context: grpc.ServicerContext):
        started = time.perf_counter()
        session = self.sessions.get(request.session_id)
        config = self.config
        job = segment_job(
            request.job,
            request.frame,
            self.store,
            session.session_id,
            config.wire_limits,
            config.max_frames,
            config.models_dir,
            self.files,
        )
        outcome: tuple[RenderResult, bool] | None = None
        for item in self._run(
            session,
            request.request_id,
            context,
            lambda progress, cancel: self.cache.render(
                job, request.frame, progress, cancel, request.refresh
            ),
        ):
            if isinstance(item, Future):
                outcome = item.result()
            else:
                yield pb.RenderResponse(
                    progress=pb.Progress(
                        stage=item.stage,
                        frame=item.frame,
                        done=item.done,
                        total=item.total,
                        fraction=item.fraction or 0.0,
                    )
                )
        assert outcome is not None
        result, cached = outcome
        headers, payloads = [], []
        image = _result_image(result.image, ("R", "G", "B", "A"), job.first_desc, request.output)
        headers.append(image[0])
        payloads.append(image[1])
        if request.want_error:
            error = _result_image(result.error, ("error",), job.first_desc, request.output)
            headers.append(error[0])
            payloads.append(error[1])
        placed, chunks = outgoing(
            headers, payloads, request.output, config.chunk_bytes, pb.RenderResponse
        )
        seconds = time.perf_counter() - started
        yield pb.RenderResponse(
            result=pb.RenderResult(
                frame=request.frame,
                images=placed,
                from_cache=cached,
                segment=[job.segment.first, job.segment.last],
                seconds=seconds,
            )
        )
        yield from chunks
        log.info(
            "render",
            extra={
                "fields": {
                    "session": session.session_id,
                    "request": request.request_id,
                    "frame": request.frame,
                    "segment": f"{job.segment.first}-{job.segment.last}",
                    "cache": "hit" if cached else "miss",
                    "output": "shm" if request.output.shm else "inline",
                    "seconds": round(seconds, 4),
                }
            },
        )

    @_streaming("ImageSynth")
    def ImageSynth(self, request: pb.ImageSynthRequest, context: grpc.ServicerContext):
        started = time.perf_counter()
        session = self.sessions.get(request.session_id)
        sid = session.session_id
        style = self._stored(request.style, "style", sid)
        guides = []
        for index, pair in enumerate(request.guides):
            source = self._stored(pair.source, f"guides[{index}].source", sid)
            target = self._stored(pair.target, f"guides[{index}].target", sid)
            guides.append((source, target, pair.weight))
        modulation = source_mask = None
        if request.HasField("modulation"):
            modulation = self._stored(request.modulation, "modulation", sid)
        if request.HasField("source_mask"):
            source_mask = self._stored(request.source_mask, "source_mask", sid)
        params = engine_params(request.engine, SynthesisParams())

        def work(progress: Callable[[ProgressEvent], None], cancel: Any):
            with self.cache.compute_slot(0, progress, cancel):
                if cancel.is_set():
                    raise CancelledError("cancelled before the synthesis started")
                return synthesize(
                    style,
                    guides,
                    modulation=modulation,
                    source_mask=source_mask,
                    params=params,
                    progress=_stop_when(cancel, progress if request.want_progress else None),
                )

        result = None
        for item in self._run(session, request.request_id, context, work):
            if isinstance(item, Future):
                result = item.result()
            elif item.stage == "synthesizing":
                yield pb.ImageSynthResponse(
                    progress=pb.Progress(stage=item.stage, fraction=item.fraction or 0.0)
                )
        assert result is not None
        like = request.style.desc
        outputs = [_result_image(result.image, (), like, request.output)]
        if request.want_nnf:
            outputs.append(
                _result_image(result.nnf.astype(np.float32), ("X", "Y"), like, request.output)
            )
        if request.want_error:
            outputs.append(_result_image(result.error, ("error",), like, request.output))
        placed, chunks = outgoing(
            [h for h, _ in outputs],
            [p for _, p in outputs],
            request.output,
            self.config.chunk_bytes,
            pb.ImageSynthResponse,
        )
        seconds = time.perf_counter() - started
        yield pb.ImageSynthResponse(result=pb.ImageSynthResult(images=placed, seconds=seconds))
        yield from chunks
        log.info(
            "imagesynth",
            extra={"fields": {"session": sid, "guides": len(guides), "seconds": round(seconds, 4)}},
        )

    def _stored(self, image: pb.Image, what: str, session_id: str) -> np.ndarray:
        check_desc(image.desc, what, self.config.wire_limits)
        check_content_hash(image.content_hash, what)
        payload = self.store.get(image.content_hash, session_id)
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


def _stop_when(
    cancel: Any, report: Callable[[ProgressEvent], None] | None = None
) -> Callable[[float], None]:
    """The engine's progress callback: a set ``cancel`` (Cancel, client cancel, passed deadline)
    stops the synthesis within one PatchMatch iteration; ``report`` gets "synthesizing" events."""

    def synthesizing(fraction: float) -> None:
        assert report is not None
        report(ProgressEvent("synthesizing", 0, 0, 1, fraction))

    return engine_progress(cancel.is_set, synthesizing if report is not None else None)


def _probe(request: pb.GetInfoRequest) -> tuple[bool, str]:
    """Whether the client's probe segment holds its token (shared memory works both ways)."""
    token = request.probe_token.encode()
    if not token or len(token) > _PROBE_TOKEN_BYTES:
        return False, f"probe_token must have 1 to {_PROBE_TOKEN_BYTES} bytes"
    handle = request.shm_probe
    try:
        with Segment.open(handle.name, handle.offset, len(token), "shm_probe") as segment:
            ok = bytes(segment.buffer) == token
    except InputError as exc:
        return False, str(exc)
    return ok, "" if ok else "the probe segment does not hold the token"
