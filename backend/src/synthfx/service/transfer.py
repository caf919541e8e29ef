# SPDX-License-Identifier: Apache-2.0
"""Frame payloads in and out of the server: streamed chunks or shared memory segments."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from google.protobuf.message import Message

from synthfx.errors import InputError
from synthfx.service.frame_store import FrameStore
from synthfx.service.messages import check_parsed
from synthfx.transport.buffers import BackgroundHasher, copy_bytes
from synthfx.transport.chunk_wire import RawChunk, chunk_field, encode_chunk_message
from synthfx.transport.shm import Segment
from synthfx.transport.wire import (
    WireLimits,
    check_desc,
    check_image_header,
    content_hash,
    encode,
)
from synthfx.v1 import synthfx_pb2 as pb


@dataclass
class _Incoming:
    """An inline frame being received."""

    what: str
    content_hash: str
    desc: pb.ImageDesc
    buffer: memoryview
    received: int = 0
    hasher: BackgroundHasher = field(default_factory=BackgroundHasher)


def _finish(incoming: _Incoming, store: FrameStore, session_id: str) -> None:
    digest = incoming.hasher.hexdigest()
    if digest != incoming.content_hash:
        raise InputError(
            f"{incoming.what}: payload does not match content_hash {incoming.content_hash} "
            f"(got {digest})"
        )
    store.put(incoming.content_hash, incoming.buffer, incoming.desc, session_id)


def _check_handle(handle: pb.SharedMemoryHandle, size: int, what: str) -> None:
    if handle.size < size:
        raise InputError(f"{what}: shared memory handle offers {handle.size} bytes, needs {size}")
    Segment.check(handle.name, handle.offset, size, what)


def read_shared_payload(
    handle: pb.SharedMemoryHandle, size: int, what: str, store: FrameStore
) -> memoryview:
    """A copy of ``size`` payload bytes from a client's segment (checked by ``_check_handle``)."""
    with Segment.open(handle.name, handle.offset, size, what) as segment:
        copy = store.new_buffer(size)
        copy_bytes(copy, segment.buffer)
        return copy


def receive_frames(
    first: pb.UploadFramesRequest | RawChunk,
    rest: Iterable[pb.UploadFramesRequest | RawChunk],
    store: FrameStore,
    session_id: str,
    limits: WireLimits,
) -> pb.UploadFramesResponse:
    """Stores every frame of an upload stream; returns their hashes.

    Inline payloads are checked against their hash as they arrive; shared memory payloads come
    from this user's own processes and are trusted (see ``synthfx.transport.shm``).

    Raises:
        InputError: a bad header, chunks out of order or past the declared size, a truncated
            frame, or a payload that does not match its hash; the message names the frame.
    """
    response = pb.UploadFramesResponse()
    incoming: _Incoming | None = None
    try:
        for number, message in enumerate(_chain(first, rest)):
            incoming = _receive_one(number, message, incoming, store, session_id, limits, response)
    finally:
        if incoming is not None:
            incoming.hasher.close()
    if incoming is not None:
        raise InputError(
            f"{incoming.what}: truncated, {incoming.received} of {len(incoming.buffer)} bytes"
        )
    return response


def _receive_one(
    number: int,
    message: pb.UploadFramesRequest | RawChunk,
    incoming: _Incoming | None,
    store: FrameStore,
    session_id: str,
    limits: WireLimits,
    response: pb.UploadFramesResponse,
) -> _Incoming | None:
    """Takes one upload message; returns the frame still being received, if any."""
    check_parsed(message, f"UploadFrames (message {number})")
    kind = "chunk" if isinstance(message, RawChunk) else message.WhichOneof("item")
    if kind == "image":
        assert isinstance(message, pb.UploadFramesRequest)
        if incoming is not None:
            raise InputError(
                f"{incoming.what}: truncated, {incoming.received} of "
                f"{len(incoming.buffer)} bytes before the next frame began"
            )
        image = message.image
        what = f"upload frame {len(response.stored)} ({image.content_hash[:12]})"
        size = check_image_header(image, what, limits)
        payload = image.WhichOneof("payload")
        if payload == "shm":
            _check_handle(image.shm, size, what)
            # Shared memory is trusted (see synthfx.transport.shm): a frame already held needs no
            # copy.
            if not store.pin(image.content_hash, session_id):
                copy = read_shared_payload(image.shm, size, what, store)
                store.put(image.content_hash, copy, image.desc, session_id)
            response.stored.append(image.content_hash)
            return None
        if payload == "inline_chunks":
            return _Incoming(what, image.content_hash, image.desc, store.new_buffer(size))
        raise InputError(f"{what}: no payload (set inline_chunks or shm)")
    if kind != "chunk":
        raise InputError(f"upload message {number}: neither an image header nor a chunk")
    if incoming is None:
        raise InputError(f"upload message {number}: a chunk without an image header")
    chunk = message if isinstance(message, RawChunk) else message.chunk
    data = chunk.data  # a view of the message (RawChunk), or a copy (protobuf)
    end = chunk.offset + len(data)
    if chunk.offset != incoming.received or end > len(incoming.buffer):
        raise InputError(
            f"{incoming.what}: chunk at offset {chunk.offset} with {len(data)} "
            f"bytes; expected offset {incoming.received} and at most "
            f"{len(incoming.buffer)} bytes in all"
        )
    incoming.buffer[chunk.offset : end] = data
    incoming.hasher.update(data)
    incoming.received = end
    response.bytes_received += len(data)
    if end < len(incoming.buffer):
        return incoming
    _finish(incoming, store, session_id)
    response.stored.append(incoming.content_hash)
    return None


def _chain(
    first: pb.UploadFramesRequest | RawChunk, rest: Iterable[pb.UploadFramesRequest | RawChunk]
) -> Iterator[pb.UploadFramesRequest | RawChunk]:
    yield first
    yield from rest


def result_image(
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


def outgoing(
    headers: Sequence[pb.Image],
    payloads: Sequence[bytes | bytearray | memoryview],
    output: pb.OutputTarget,
    chunk_bytes: int,
    response_type: type[Message],
) -> tuple[list[pb.Image], Iterator[bytes]]:
    """Result headers with their payload placed, and the chunks to stream after them (as
    encoded ``response_type`` messages: see ``synthfx.transport.chunk_wire``).

    With shared memory handles in ``output`` the payloads are written into the client's
    segments (one per image) and no chunks follow.
    """
    placed = []
    if output.shm:
        if len(output.shm) < len(headers):
            raise InputError(
                f"output.shm has {len(output.shm)} segment(s), the result has {len(headers)} "
                "image(s)"
            )
        for index, (header, payload) in enumerate(zip(headers, payloads, strict=True)):
            handle = output.shm[index]
            what = f"output.shm[{index}]"
            if handle.size < len(payload):
                raise InputError(f"{what}: offers {handle.size} bytes, needs {len(payload)}")
            with Segment.open(handle.name, handle.offset, len(payload), what) as segment:
                copy_bytes(segment.buffer, payload)
            image = pb.Image()
            image.CopyFrom(header)
            image.shm.CopyFrom(
                pb.SharedMemoryHandle(name=handle.name, offset=handle.offset, size=len(payload))
            )
            placed.append(image)
        return placed, iter(())
    for header in headers:
        image = pb.Image()
        image.CopyFrom(header)
        image.inline_chunks.SetInParent()
        placed.append(image)
    return placed, _chunks(payloads, chunk_bytes, chunk_field(response_type))


def _chunks(
    payloads: Sequence[bytes | bytearray | memoryview], chunk_bytes: int, field: int
) -> Iterator[bytes]:
    for index, payload in enumerate(payloads):
        view = memoryview(payload).cast("B")
        for offset in range(0, len(view), chunk_bytes):
            yield encode_chunk_message(field, index, offset, view[offset : offset + chunk_bytes])
