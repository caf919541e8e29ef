# SPDX-License-Identifier: Apache-2.0
"""Messages carrying one ``ImageChunk``, encoded by hand.

Building an ``ImageChunk`` and serializing its enclosing message copies the payload three
times, most of what streaming a frame costs the sender (bench/README.md). These are
the bytes protobuf would write (same fields, same order, defaults left out), with the payload
copied once; receivers parse them as any other message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import Message

_LENGTH_DELIMITED = 2
_INDEX_TAG = b"\x08"  # ImageChunk.index = 1, varint
_OFFSET_TAG = b"\x10"  # ImageChunk.offset = 2, varint
_DATA_TAG = b"\x1a"  # ImageChunk.data = 3, length-delimited


def varint(value: int) -> bytes:
    """``value`` (>= 0) as a protobuf base-128 varint."""
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def chunk_field(message_type: type[Message]) -> int:
    """The number of the ``chunk`` field (an ImageChunk) of a message type."""
    return message_type.DESCRIPTOR.fields_by_name["chunk"].number


def encode_chunk_message(field: int, index: int, offset: int, data: bytes | memoryview) -> bytes:
    """A message whose only field, number ``field``, is ``ImageChunk(index, offset, data)``."""
    header = b"".join(
        (
            _INDEX_TAG + varint(index) if index else b"",
            _OFFSET_TAG + varint(offset) if offset else b"",
            _DATA_TAG + varint(len(data)) if len(data) else b"",
        )
    )
    tag = varint(field << 3 | _LENGTH_DELIMITED)
    return b"".join((tag, varint(len(header) + len(data)), header, data))


def serialized(message: Message | bytes) -> bytes:
    """A gRPC serializer passing messages already encoded through."""
    return message if isinstance(message, bytes) else message.SerializeToString()


@dataclass(frozen=True)
class RawChunk:
    """An ``ImageChunk`` read from a message's bytes; ``data`` is a view of them (no copy)."""

    index: int
    offset: int
    data: memoryview


def decode_chunk_message(message: bytes, field: int) -> RawChunk | None:
    """The chunk of a message whose only field is ``field`` (an ImageChunk); None for any
    other message, or any encoding this does not expect (parse it with protobuf then)."""
    try:
        tag, position = _read_varint(message, 0)
        if tag != field << 3 | _LENGTH_DELIMITED:
            return None
        length, position = _read_varint(message, position)
        if position + length != len(message):
            return None
        index = offset = 0
        data = memoryview(b"")
        while position < len(message):
            tag, position = _read_varint(message, position)
            if tag == _INDEX_TAG[0]:
                index, position = _read_varint(message, position)
            elif tag == _OFFSET_TAG[0]:
                offset, position = _read_varint(message, position)
            elif tag == _DATA_TAG[0]:
                size, position = _read_varint(message, position)
                if position + size > len(message):
                    return None
                data = memoryview(message)[position : position + size]
                position += size
            else:
                return None
    except IndexError:  # truncated varint
        return None
    if index >= 1 << 32:
        return None  # not a uint32: let protobuf report it
    return RawChunk(index, offset, data)


def _read_varint(message: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = message[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
        if shift >= 64:
            raise IndexError("varint too long")


def chunk_or_message(message_type: type[Message]) -> Callable[[bytes], Message | RawChunk]:
    """A gRPC deserializer: chunks as ``RawChunk`` views, anything else parsed by protobuf
    (which raises ``DecodeError`` on malformed bytes)."""
    field = chunk_field(message_type)

    def parse(message: bytes) -> Message | RawChunk:
        chunk = decode_chunk_message(message, field)
        return chunk if chunk is not None else message_type.FromString(message)

    return parse
