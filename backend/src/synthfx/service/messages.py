# SPDX-License-Identifier: Apache-2.0
"""Registers the servicer with request parsing that never raises.

gRPC answers a request its deserializer cannot parse with a bare INTERNAL error. Parsing
here instead hands the handler a ``Malformed`` marker, which it reports as INVALID_ARGUMENT
naming the call and the parse error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from google.protobuf.message import DecodeError, Message

from synthfx.errors import InputError
from synthfx.pipeline.stylizer import ProgressEvent
from synthfx.transport.chunk_wire import RawChunk, chunk_or_message, serialized
from synthfx.v1 import synthfx_pb2 as pb


@dataclass(frozen=True)
class Malformed:
    """A request message that did not parse."""

    type_name: str
    error: str

    def check(self, rpc: str) -> None:
        raise InputError(f"malformed {rpc} request: not a valid {self.type_name} ({self.error})")


def check_parsed(message: object, rpc: str) -> None:
    """Raises InputError when ``message`` is a ``Malformed`` marker."""
    if isinstance(message, Malformed):
        message.check(rpc)


def _parser(message_type: type[Message]) -> Callable[[bytes], Message | RawChunk | Malformed]:
    """Parses requests; a chunk (UploadFrames) is read as a view of the message's bytes."""
    with_chunks = "chunk" in message_type.DESCRIPTOR.fields_by_name
    read = chunk_or_message(message_type) if with_chunks else message_type.FromString

    def parse(data: bytes) -> Message | RawChunk | Malformed:
        try:
            return read(data)
        except DecodeError as exc:
            return Malformed(message_type.DESCRIPTOR.full_name, str(exc))

    return parse


_HANDLER_KINDS = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def add_servicer(servicer: object, server: grpc.Server) -> None:
    """Adds every rpc of ``synthfx.v1.Synthfx`` implemented by ``servicer`` to ``server``."""
    service = pb.DESCRIPTOR.services_by_name["Synthfx"]
    handlers = {}
    for method in service.methods:
        request_type = getattr(pb, method.input_type.name)
        make = _HANDLER_KINDS[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = make(
            getattr(servicer, method.name),
            request_deserializer=_parser(request_type),
            response_serializer=serialized,  # chunks come encoded (chunk_wire)
        )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),)
    )


def progress_of(event: ProgressEvent) -> pb.Progress:
    """A job's progress event as the calls stream it."""
    return pb.Progress(
        stage=event.stage,
        frame=event.frame,
        done=event.done,
        total=event.total,
        fraction=event.fraction or 0.0,
    )
