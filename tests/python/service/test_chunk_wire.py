# SPDX-License-Identifier: Apache-2.0
import os

import pytest
from google.protobuf.message import DecodeError

from synthfx.transport.chunk_wire import (
    RawChunk,
    chunk_field,
    chunk_or_message,
    decode_chunk_message,
    encode_chunk_message,
    serialized,
    varint,
)
from synthfx.v1 import synthfx_pb2 as pb

MESSAGES = (pb.UploadFramesRequest, pb.RenderResponse, pb.ImageSynthResponse)


@pytest.mark.parametrize("message_type", MESSAGES)
@pytest.mark.parametrize(
    ("index", "offset", "size"),
    [(0, 0, 1), (0, 1 << 20, 1 << 20), (3, 127, 128), (200, (1 << 40) + 5, 16383), (1, 0, 0)],
)
def test_hand_encoded_chunks_are_the_bytes_protobuf_writes(message_type, index, offset, size):
    data = os.urandom(size)
    expected = message_type(chunk=pb.ImageChunk(index=index, offset=offset, data=data))
    encoded = encode_chunk_message(chunk_field(message_type), index, offset, memoryview(data))
    assert encoded == expected.SerializeToString()
    assert message_type.FromString(encoded) == expected


def test_varint_boundaries_and_serializer_pass_through() -> None:
    assert [varint(v) for v in (0, 127, 128, 300)] == [b"\x00", b"\x7f", b"\x80\x01", b"\xac\x02"]
    assert serialized(b"raw") == b"raw"
    message = pb.ImageChunk(offset=5)
    assert serialized(message) == message.SerializeToString()


@pytest.mark.parametrize("message_type", MESSAGES)
def test_chunks_read_as_views_equal_what_protobuf_parses(message_type) -> None:
    read = chunk_or_message(message_type)
    for index, offset, size in ((0, 0, 0), (2, 5, 1000), (0, (1 << 33) + 1, 70000)):
        data = os.urandom(size)
        message = message_type(chunk=pb.ImageChunk(index=index, offset=offset, data=data))
        chunk = read(message.SerializeToString())
        assert isinstance(chunk, RawChunk)
        assert (chunk.index, chunk.offset, bytes(chunk.data)) == (index, offset, data)


def test_anything_but_a_lone_chunk_is_left_to_protobuf() -> None:
    read = chunk_or_message(pb.UploadFramesRequest)
    field = chunk_field(pb.UploadFramesRequest)
    with_session = pb.UploadFramesRequest(session_id="a" * 32, chunk=pb.ImageChunk(data=b"xy"))
    header = pb.UploadFramesRequest(session_id="a" * 32, image=pb.Image(content_hash="0" * 64))
    for message in (with_session, header):
        assert read(message.SerializeToString()) == message  # parsed as a message
    encoded = encode_chunk_message(field, 0, 8, b"abcdef")
    assert decode_chunk_message(encoded[:-1], field) is None  # truncated: protobuf reports it
    with pytest.raises(DecodeError):
        read(encoded[:-1])
    unknown_field = encoded[:1] + bytes([encoded[1] + 2]) + encoded[2:] + b"\x20\x01"
    assert decode_chunk_message(unknown_field, field) is None
    assert read(unknown_field).chunk.data == b"abcdef"  # protobuf keeps the unknown field aside
    assert decode_chunk_message(b"\x1a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", field) is None
