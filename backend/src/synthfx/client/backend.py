# SPDX-License-Identifier: Apache-2.0
"""``BackendClient``: the Python client of a ``synthfx serve`` backend.

    with BackendClient("127.0.0.1:50151") as backend:
        job = backend.upload_job(frames, keys, params=StylizeParams(...))
        frame = backend.render(job, 1012)       # .image (H, W, 4) float32, .error

Frames go to the backend once (by content hash); on the same host through shared memory,
otherwise streamed in chunks. Failed calls raise the ``ServiceError`` subclass of their status.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import grpc
import numpy as np

from synthfx.client.errors import ServiceError, from_rpc_error
from synthfx.errors import InputError
from synthfx.transport.buffers import copy_bytes, fresh_buffer
from synthfx.transport.chunk_wire import (
    RawChunk,
    chunk_field,
    chunk_or_message,
    encode_chunk_message,
    serialized,
)
from synthfx.transport.shm import Segment, shared_memory_available
from synthfx.transport.wire import content_hash, decode, describe, encode, payload_size
from synthfx.v1 import synthfx_pb2 as pb
from synthfx.v1 import synthfx_pb2_grpc as pb_grpc

DEFAULT_CHUNK_BYTES = 1 << 20
_METHOD_PREFIX = "/synthfx.v1.Synthfx/"
# Client-side message limit: a chunk plus headers, with room for large Job listings.
MAX_MESSAGE_BYTES = 64 << 20
SharedMemoryMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class Payload:
    """An image ready to send: its header (description, hash, size) and bytes."""

    image: pb.Image
    data: bytes

    @classmethod
    def of(
        cls,
        array: np.ndarray,
        dtype: pb.DType = pb.DTYPE_FLOAT32,
        row_order: pb.RowOrder = pb.ROW_ORDER_TOP_DOWN,
        channel_names: tuple[str, ...] = (),
    ) -> Payload:
        """An (H, W[, C]) float image (top-down) encoded as ``dtype`` in ``row_order``."""
        desc = describe(array, dtype, row_order, channel_names)
        data = encode(array, desc)
        image = pb.Image(desc=desc, content_hash=content_hash(data), payload_bytes=len(data))
        return cls(image, data)

    def ref(self) -> pb.Image:
        """The stored-frame reference (no payload) used in requests."""
        return pb.Image(
            desc=self.image.desc,
            content_hash=self.image.content_hash,
            payload_bytes=self.image.payload_bytes,
        )


@dataclass(frozen=True)
class ReceivedImage:
    """A result image: header and (H, W, C) float32 top-down pixels."""

    image: pb.Image
    pixels: np.ndarray


@dataclass(frozen=True)
class DeflickeredFrame:
    """One deflickered frame."""

    frame: int
    image: np.ndarray  # (H, W, C) float32, the render's channels
    support: np.ndarray | None  # (H, W) float32, when asked for
    window: tuple[int, int]  # the first and last frame the result depends on
    remaps: int
    from_cache: bool = False  # read back from the backend's cache (no remap computed)


@dataclass(frozen=True)
class PackedSheet:
    """A key sheet and its layout (``synthfx sheet pack``'s SHEET.exr and SHEET.json)."""

    image: np.ndarray  # (H, W, C) float32, the plate's channels
    layout_json: str  # as sheet pack writes it
    keys: tuple[int, ...]  # the key frames, in cell order


@dataclass(frozen=True)
class StyledKeyframe:
    """One keyframe made on the backend."""

    image: np.ndarray  # (H, W, 3|4) float32: RGB, or RGBA with the source's alpha
    evaluations: int  # gatys: evaluations of the objective; patch: 0
    seconds: float


@dataclass(frozen=True)
class RenderedFrame:
    """One rendered frame."""

    frame: int
    image: np.ndarray  # (H, W, 4) float32 premultiplied RGBA
    error: np.ndarray | None  # (H, W) float32, when asked for
    content_hash: str  # of the image payload as sent
    from_cache: bool
    segment: tuple[int, int]  # the frames computed and cached with this one


def _result_events(
    progress: Callable[[pb.Progress], None] | None, header: list[Any]
) -> Callable[[Any], Any]:
    """Unpacks the events of a call whose responses are progress, one result header (kept in
    ``header``) and chunks: progress goes to ``progress``, the rest to ``_receive``."""

    def on_message(message: Any) -> Any:
        kind = message.WhichOneof("event")
        if kind == "progress":
            if progress is not None:
                progress(message.progress)
            return None
        if kind == "result":
            header.append(message.result)
            return message.result
        return message.chunk

    return on_message


class BackendClient:
    """A connection to one backend and (inside ``with``) one session.

    Args:
        address: ``HOST:PORT`` or ``unix:PATH``.
        token: bearer token (or ``token_file``) when the backend requires one.
        tls_ca: PEM file of the CA that signed the backend's certificate (enables TLS).
        shared_memory: "auto" uses it when a probe shows the backend shares this host's
            shared memory; "never" always streams; "always" fails when it is not shared.
        verify: check the content hash of every received image.
        label: session label for the backend's logs.
    """

    def __init__(
        self,
        address: str,
        *,
        token: str | None = None,
        token_file: str | Path | None = None,
        tls_ca: str | Path | None = None,
        shared_memory: SharedMemoryMode = "auto",
        verify: bool = True,
        label: str = "",
    ) -> None:
        self.address = address
        if token_file is not None:
            token = Path(token_file).read_text().strip()
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # Large HTTP/2 frames and read-ahead: fewer, bigger writes for frame payloads.
            ("grpc.http2.max_frame_size", (16 << 20) - 1),
            ("grpc.http2.lookahead_bytes", 16 << 20),
        ]
        if tls_ca is not None:
            credentials = grpc.ssl_channel_credentials(Path(tls_ca).read_bytes())
            self._channel = grpc.secure_channel(address, credentials, options)
        else:
            self._channel = grpc.insecure_channel(address, options)
        self._stub = pb_grpc.SynthfxStub(self._channel)
        # Payload chunks travel encoded by hand and are read as views (chunk_wire).
        self._chunked: dict[str, Any] = {
            "UploadFrames": self._channel.stream_unary(
                f"{_METHOD_PREFIX}UploadFrames", serialized, pb.UploadFramesResponse.FromString
            ),
            **{
                name: self._channel.unary_stream(
                    f"{_METHOD_PREFIX}{name}", serialized, chunk_or_message(response)
                )
                for name, response in (
                    ("Render", pb.RenderResponse),
                    ("ImageSynth", pb.ImageSynthResponse),
                    ("Deflicker", pb.DeflickerResponse),
                    ("Keyframe", pb.KeyframeResponse),
                )
            },
        }
        self._shared_memory_mode = shared_memory
        self._use_shm: bool | None = None if shared_memory != "never" else False
        self.verify = verify
        self.label = label
        self.session_id: str | None = None
        self.chunk_bytes = DEFAULT_CHUNK_BYTES
        self._scratch: dict[str, Segment] = {}
        self._scratch_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, name: str, request: Any, timeout: float | None = None) -> Any:
        try:
            method = self._chunked.get(name) or getattr(self._stub, name)
            return method(request, timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.address, name) from None

    def _stream(self, name: str, request: Any, timeout: float | None) -> Iterator[Any]:
        method = self._chunked.get(name) or getattr(self._stub, name)
        call = method(request, timeout=timeout, metadata=self._metadata)
        try:
            yield from call
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.address, name) from None
        finally:
            call.cancel()

    def _session(self) -> str:
        if self.session_id is None:
            self.open_session()
        assert self.session_id is not None
        return self.session_id

    # -- info and sessions ------------------------------------------------------------------

    def info(self, timeout: float | None = 10.0) -> pb.GetInfoResponse:
        """Backend and protocol version, devices, limits, load and cache use."""
        return self._call("GetInfo", pb.GetInfoRequest(), timeout)

    def uses_shared_memory(self) -> bool:
        """Whether payloads go through shared memory (probed once)."""
        if self._use_shm is None:
            self._use_shm = self._probe_shared_memory()
            if not self._use_shm and self._shared_memory_mode == "always":
                raise InputError(f"backend {self.address} cannot read this host's shared memory")
        return self._use_shm

    def _probe_shared_memory(self) -> bool:
        if not shared_memory_available():
            return False
        token = secrets.token_hex(16).encode()
        try:
            segment = Segment.create(len(token))
        except OSError:
            return False  # /dev/shm full or unusable
        try:
            segment.buffer[:] = token
            handle = pb.SharedMemoryHandle(name=segment.name, offset=0, size=len(token))
            request = pb.GetInfoRequest(shm_probe=handle, probe_token=token.decode())
            return bool(self._call("GetInfo", request, 10.0).shm_probe_ok)
        finally:
            segment.close()
            segment.unlink()

    def open_session(self) -> str:
        """Opens a session (checking protocol versions); later calls use it."""
        info = self.info()
        if info.protocol_major != pb.PROTOCOL_VERSION_MAJOR:
            raise InputError(
                f"backend {self.address} speaks synthfx protocol {info.protocol_major}."
                f"{info.protocol_minor} (synthfx {info.backend_version}); this client speaks "
                f"{pb.PROTOCOL_VERSION_MAJOR}.{pb.PROTOCOL_VERSION_MINOR}"
            )
        self.chunk_bytes = int(info.limits.chunk_bytes) or DEFAULT_CHUNK_BYTES
        response = self._call(
            "OpenSession",
            pb.OpenSessionRequest(
                protocol_major=pb.PROTOCOL_VERSION_MAJOR,
                protocol_minor=pb.PROTOCOL_VERSION_MINOR,
                client_name="synthfx.client",
                label=self.label,
            ),
        )
        self.session_id = response.session_id
        return self.session_id

    def close_session(self) -> None:
        """Closes the session, releasing its frames to the backend's eviction; the next call
        opens a new one."""
        if self.session_id is not None:
            with suppress(ServiceError):
                self._call("CloseSession", pb.CloseSessionRequest(session_id=self.session_id), 5.0)
            self.session_id = None

    def close(self) -> None:
        """Closes the session (if any), the scratch segments and the channel."""
        self.close_session()
        with self._scratch_lock:
            for segment in self._scratch.values():
                segment.close()
                segment.unlink()
            self._scratch.clear()
        self._channel.close()

    def __enter__(self) -> BackendClient:
        self._session()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def cancel(self, request_id: str = "") -> int:
        """Cancels a running call of this session (all of them without an id)."""
        request = pb.CancelRequest(session_id=self._session(), request_id=request_id)
        return int(self._call("Cancel", request).cancelled)

    # -- frames -----------------------------------------------------------------------------

    def missing(self, hashes: Sequence[str]) -> list[str]:
        request = pb.FindMissingFramesRequest(session_id=self._session(), content_hashes=hashes)
        return list(self._call("FindMissingFrames", request).missing)

    def upload(self, payloads: Iterable[Payload], *, force: bool = False) -> list[str]:
        """Sends the payloads the backend lacks (all with ``force``); returns the hashes sent."""
        unique = {p.image.content_hash: p for p in payloads}
        wanted = list(unique) if force else self.missing(list(unique))
        if not wanted:
            return []
        todo = [unique[h] for h in wanted]
        response = None
        if self.uses_shared_memory():
            response = self._upload_shared(todo)
        if response is None:
            response = self._call("UploadFrames", self._upload_messages(todo))
        return list(response.stored)

    def _upload_messages(
        self, payloads: Sequence[Payload]
    ) -> Iterator[pb.UploadFramesRequest | bytes]:
        session_id = self._session()
        field = chunk_field(pb.UploadFramesRequest)
        for payload in payloads:
            image = pb.Image()
            image.CopyFrom(payload.image)
            image.inline_chunks.SetInParent()
            yield pb.UploadFramesRequest(session_id=session_id, image=image)
            view = memoryview(payload.data).cast("B")
            for offset in range(0, len(view), self.chunk_bytes):
                chunk = view[offset : offset + self.chunk_bytes]
                yield encode_chunk_message(field, 0, offset, chunk)

    def _upload_shared(self, payloads: Sequence[Payload]) -> pb.UploadFramesResponse | None:
        """The upload through shared memory; None when /dev/shm has no room (stream then)."""
        total = sum(len(p.data) for p in payloads)
        with self._scratch_lock:
            segment = self._scratch_segment("upload", total)
            if segment is None:
                return None
            messages, offset = [], 0
            for payload in payloads:
                size = len(payload.data)
                copy_bytes(segment.buffer[offset : offset + size], payload.data)
                image = pb.Image()
                image.CopyFrom(payload.image)
                image.shm.CopyFrom(
                    pb.SharedMemoryHandle(name=segment.name, offset=offset, size=size)
                )
                messages.append(pb.UploadFramesRequest(session_id=self._session(), image=image))
                offset += size
            return self._call("UploadFrames", iter(messages))

    def _scratch_segment(self, role: str, size: int) -> Segment | None:
        """A segment of at least ``size`` bytes kept for reuse (pages stay mapped); None when
        /dev/shm has no room for it (the caller streams instead; with shared_memory="always"
        that is an error)."""
        segment = self._scratch.get(role)
        if segment is None or segment.size < size:
            if segment is not None:
                segment.close()
                segment.unlink()
                del self._scratch[role]
            try:
                segment = Segment.create(size)
            except OSError as exc:
                if self._shared_memory_mode == "always":
                    raise InputError(
                        f"shared memory: cannot reserve {size} bytes in /dev/shm "
                        f"({exc.strerror}); free space there or use shared_memory='auto'"
                    ) from None
                return None
            self._scratch[role] = segment
        return segment

    # -- work -------------------------------------------------------------------------------

    def upload_job(
        self,
        frames: Mapping[int, np.ndarray],
        keys: Mapping[int, np.ndarray],
        *,
        mask: Mapping[int, np.ndarray] | None = None,
        params: pb.StylizeParams | None = None,
        frame_range: tuple[int, int] | None = None,
        dtype: pb.DType = pb.DTYPE_FLOAT32,
        row_order: pb.RowOrder = pb.ROW_ORDER_TOP_DOWN,
    ) -> pb.Job:
        """Uploads what the backend lacks of a shot and returns the job referring to it.

        Args:
            frames, keys, mask: frame number -> (H, W[, C]) float image, top-down.
            params: job options (the backend's defaults where unset).
            frame_range: (first, last) of the shot; default: the frames given.
            dtype, row_order: how images travel (results come back in this row order).
        """
        encoded = {f: Payload.of(a, dtype, row_order) for f, a in frames.items()}
        encoded_keys = {f: Payload.of(a, dtype, row_order) for f, a in keys.items()}
        encoded_mask = {f: Payload.of(a, dtype, row_order) for f, a in (mask or {}).items()}
        self.upload([*encoded.values(), *encoded_keys.values(), *encoded_mask.values()])
        first, last = frame_range or (min(frames), max(frames))
        return pb.Job(
            first_frame=first,
            last_frame=last,
            frames=[pb.FrameImage(frame=f, image=p.ref()) for f, p in sorted(encoded.items())],
            keyframes=[pb.FrameImage(frame=f, image=p.ref()) for f, p in encoded_keys.items()],
            mask=[pb.FrameImage(frame=f, image=p.ref()) for f, p in sorted(encoded_mask.items())],
            params=params or pb.StylizeParams(),
        )

    def render(
        self,
        job: pb.Job,
        frame: int,
        *,
        want_error: bool = False,
        progress: Callable[[pb.Progress], None] | None = None,
        request_id: str = "",
        timeout: float | None = None,
        dtype: pb.DType = pb.DTYPE_FLOAT32,
        refresh: bool = False,
    ) -> RenderedFrame:
        """Renders one frame of an uploaded job (``upload_job``); ``refresh`` ignores (and
        replaces) the backend's cached results of its segment."""
        output = pb.OutputTarget(dtype=dtype)
        sizes = None
        if job.frames:
            desc = job.frames[0].image.desc
            like = pb.ImageDesc(width=desc.width, height=desc.height, channels=4, dtype=dtype)
            sizes = [payload_size(like)]
            if want_error:
                like.channels = 1
                sizes.append(payload_size(like))
        request = pb.RenderRequest(
            session_id=self._session(),
            request_id=request_id,
            job=job,
            frame=frame,
            output=output,
            want_error=want_error,
            refresh=refresh,
        )
        header: list[pb.RenderResult] = []

        on_message = _result_events(progress, header)
        images = self._receive("Render", request, timeout, sizes, on_message)
        result = header[0]
        return RenderedFrame(
            frame=result.frame,
            image=images[0].pixels,
            error=images[1].pixels[..., 0] if want_error else None,
            content_hash=images[0].image.content_hash,
            from_cache=result.from_cache,
            segment=(result.segment[0], result.segment[1]),
        )

    def image_synth(
        self,
        style: np.ndarray,
        guides: Sequence[tuple[np.ndarray, np.ndarray, float]],
        *,
        engine: pb.EngineParams | None = None,
        want_nnf: bool = False,
        want_error: bool = False,
        timeout: float | None = None,
        progress: Callable[[pb.Progress], None] | None = None,
    ) -> list[ReceivedImage]:
        """One guided synthesis on the backend: [image, nnf?, error?].

        ``progress`` gets "synthesizing" events with the fraction done (a few a second).
        """
        style_payload = Payload.of(style)
        pairs = [(Payload.of(s), Payload.of(t), w) for s, t, w in guides]
        self.upload([style_payload, *(p for s, t, _ in pairs for p in (s, t))])
        request = pb.ImageSynthRequest(
            session_id=self._session(),
            style=style_payload.ref(),
            guides=[pb.GuidePair(source=s.ref(), target=t.ref(), weight=w) for s, t, w in pairs],
            engine=engine or pb.EngineParams(),
            want_nnf=want_nnf,
            want_error=want_error,
            want_progress=progress is not None,
        )

        def on_message(message: pb.ImageSynthResponse) -> Any:
            kind = message.WhichOneof("event")
            if kind == "progress":
                if progress is not None:
                    progress(message.progress)
                return None
            return getattr(message, kind)

        return self._receive("ImageSynth", request, timeout, None, on_message)

    def deflicker(
        self,
        job: pb.DeflickerJob,
        frame: int,
        *,
        want_support: bool = False,
        progress: Callable[[pb.Progress], None] | None = None,
        request_id: str = "",
        timeout: float | None = None,
        dtype: pb.DType = pb.DTYPE_FLOAT32,
    ) -> DeflickeredFrame:
        """Deflickers one frame of a job whose frames are uploaded (``upload``): ``job`` needs
        at least the frame's window clipped to the shot (see ``DeflickerJob``)."""
        sizes = None
        like = next((f.image.desc for f in job.frames if f.frame == frame), None)
        if like is not None and like.width:
            out = pb.ImageDesc(
                width=like.width, height=like.height, channels=like.channels, dtype=dtype
            )
            sizes = [payload_size(out)]
            if want_support:
                out.channels = 1
                sizes.append(payload_size(out))
        request = pb.DeflickerRequest(
            session_id=self._session(),
            request_id=request_id,
            job=job,
            frame=frame,
            output=pb.OutputTarget(dtype=dtype),
            want_support=want_support,
        )
        header: list[pb.DeflickerResult] = []

        on_message = _result_events(progress, header)
        images = self._receive("Deflicker", request, timeout, sizes, on_message)
        result = header[0]
        return DeflickeredFrame(
            frame=result.frame,
            image=images[0].pixels,
            support=images[1].pixels[..., 0] if want_support else None,
            window=(result.window[0], result.window[1]),
            remaps=result.remaps,
            from_cache=result.from_cache,
        )

    def pack_sheet(
        self,
        request: pb.PackSheetRequest,
        *,
        progress: Callable[[pb.Progress], None] | None = None,
        timeout: float | None = None,
    ) -> PackedSheet:
        """The key sheet of uploaded frames (``upload``): ``request`` (session and output are
        filled in) needs at least the key frames (see ``PackSheetRequest``)."""
        sent = pb.PackSheetRequest()
        sent.CopyFrom(request)
        sent.session_id = self._session()
        header: list[pb.PackSheetResult] = []

        on_message = _result_events(progress, header)
        # The sheet's size is known only from the result: its payload comes inline.
        images = self._receive("PackSheet", sent, timeout, None, on_message)
        result = header[0]
        return PackedSheet(images[0].pixels, result.layout_json, tuple(result.keys))

    def keyframe(
        self,
        source: np.ndarray,
        references: Sequence[np.ndarray],
        *,
        mask: np.ndarray | None = None,
        params: pb.KeyframeParams | None = None,
        progress: Callable[[pb.Progress], None] | None = None,
        request_id: str = "",
        timeout: float | None = None,
    ) -> StyledKeyframe:
        """Styles ``source`` from the ``references`` on the backend (uploading what it lacks),
        like ``synthfx.keyframe.make_keyframe``; ``params`` unset takes its defaults."""
        payloads = [Payload.of(source), *(Payload.of(r) for r in references)]
        mask_payload = None if mask is None else Payload.of(mask)
        self.upload([*payloads, *([mask_payload] if mask_payload else [])])
        request = pb.KeyframeRequest(
            session_id=self._session(),
            request_id=request_id,
            source=payloads[0].ref(),
            references=[p.ref() for p in payloads[1:]],
            params=params or pb.KeyframeParams(),
            output=pb.OutputTarget(dtype=pb.DTYPE_FLOAT32),
        )
        if mask_payload is not None:
            request.mask.CopyFrom(mask_payload.ref())
        header: list[pb.KeyframeResult] = []

        on_message = _result_events(progress, header)
        images = self._receive("Keyframe", request, timeout, None, on_message)
        result = header[0]
        return StyledKeyframe(images[0].pixels, result.evaluations, result.seconds)

    # -- receiving results ------------------------------------------------------------------

    def _receive(
        self,
        rpc: str,
        request: Any,
        timeout: float | None,
        sizes: Sequence[int] | None,
        unpack: Callable[[Any], Any],
    ) -> list[ReceivedImage]:
        """Images of a streamed result: header (images), then chunks or shared memory."""
        shared = sizes is not None and self.uses_shared_memory()
        with self._scratch_lock if shared else nullcontext():
            segments: list[Segment] = []
            if shared:
                assert sizes is not None
                reserved = [self._scratch_segment(f"out{i}", n) for i, n in enumerate(sizes)]
                shared = all(segment is not None for segment in reserved)
                segments = [segment for segment in reserved if segment is not None]
            if shared:
                assert sizes is not None
                request.output.shm.extend(
                    pb.SharedMemoryHandle(name=s.name, offset=0, size=n)
                    for s, n in zip(segments, sizes, strict=True)
                )
            headers: list[pb.Image] = []
            buffers: list[memoryview] = []
            filled: list[int] = []
            for message in self._stream(rpc, request, timeout):
                if isinstance(message, RawChunk):
                    self._take_chunk(message, buffers, filled)
                    continue
                item = unpack(message)
                if item is None:
                    continue
                if isinstance(item, pb.ImageChunk):
                    self._take_chunk(item, buffers, filled)
                    continue
                images = [item] if isinstance(item, pb.Image) else list(item.images)
                headers = images
                buffers = [self._destination(h, streamed=True) for h in images]
                filled = [0] * len(images)
            if not headers:
                raise ServiceError(
                    f"backend {self.address}: {rpc} ended without a result",
                    grpc.StatusCode.INTERNAL,
                )
            received = []
            for index, header in enumerate(headers):
                if header.WhichOneof("payload") == "shm":
                    data = self._destination(header)
                    self._copy_shared(header, segments[index] if segments else None, data)
                elif filled[index] != header.payload_bytes:
                    raise ServiceError(
                        f"backend {self.address}: {rpc} result {index} truncated "
                        f"({filled[index]} of {header.payload_bytes} bytes)",
                        grpc.StatusCode.DATA_LOSS,
                    )
                else:
                    data = buffers[index]
                if self.verify and content_hash(data) != header.content_hash:
                    raise ServiceError(
                        f"backend {self.address}: {rpc} result {index} does not match its "
                        f"content hash {header.content_hash}",
                        grpc.StatusCode.DATA_LOSS,
                    )
                received.append(ReceivedImage(header, decode(header.desc, data)))
            return received

    def _copy_shared(self, header: pb.Image, ours: Segment | None, data: memoryview) -> None:
        """Copies a payload the backend placed in our shared memory segment."""
        if ours is None or header.shm.name != ours.name:
            raise ServiceError(
                f"backend {self.address}: result in unexpected shared memory {header.shm.name!r}",
                grpc.StatusCode.INTERNAL,
            )
        copy_bytes(data, ours.buffer[: header.payload_bytes])

    @staticmethod
    def _destination(header: pb.Image, *, streamed: bool = False) -> memoryview:
        """Fresh memory for an image's payload (none yet for one in shared memory)."""
        if streamed and header.WhichOneof("payload") == "shm":
            return fresh_buffer(0)
        return fresh_buffer(header.payload_bytes)

    def _take_chunk(
        self, chunk: pb.ImageChunk | RawChunk, buffers: list[memoryview], filled: list[int]
    ) -> None:
        if chunk.index >= len(buffers) or chunk.offset != filled[chunk.index]:
            raise ServiceError(
                f"backend {self.address}: chunk {chunk.index}@{chunk.offset} out of order",
                grpc.StatusCode.DATA_LOSS,
            )
        data = chunk.data  # each read of a bytes field copies it
        end = chunk.offset + len(data)
        if end > len(buffers[chunk.index]):
            raise ServiceError(
                f"backend {self.address}: chunk {chunk.index}@{chunk.offset} with {len(data)} "
                f"bytes runs past the image's {len(buffers[chunk.index])} bytes",
                grpc.StatusCode.DATA_LOSS,
            )
        buffers[chunk.index][chunk.offset : end] = data
        filled[chunk.index] = end
