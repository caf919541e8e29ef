# SPDX-License-Identifier: Apache-2.0
import os

import pytest

from synthfx.client.chunk_wire import chunk_field, encode_chunk_message, serialized, varint
from synthfx.v1 import synthfx_pb2 as pb

MESSAGES = (pb.UploadFramesRequest, pb.DownloadFrameResponse, pb.RenderResponse,
            pb.ImageSynthResponse)  # fmt: skip


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
