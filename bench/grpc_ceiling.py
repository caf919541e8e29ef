# SPDX-License-Identifier: Apache-2.0
"""The most Python gRPC moves on loopback: raw bytes messages, no protobuf, no hashing.

A server process receives a stream of ``chunk``-sized messages into one buffer (upload) and
sends the same bytes back (download), as ``synthfx serve`` does with a frame's chunks. What
synthfx's streaming path adds on top of this is its own cost; what this takes is the ceiling.
Used by transport.py.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from concurrent import futures

import grpc

_OPTIONS = [
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 64 << 20),
]


def _same(data: bytes) -> bytes:
    return data


def _serve(size: int, chunk: int, port_out: multiprocessing.Queue) -> None:
    held = bytearray(size)

    def upload(messages, context) -> bytes:
        view, offset = memoryview(held), 0
        for message in messages:
            view[offset : offset + len(message)] = message
            offset += len(message)
        return offset.to_bytes(8, "little")

    def download(request: bytes, context):
        view = memoryview(held)
        for offset in range(0, size, chunk):
            yield bytes(view[offset : offset + chunk])

    handlers = {
        "Up": grpc.stream_unary_rpc_method_handler(upload, _same, _same),
        "Down": grpc.unary_stream_rpc_method_handler(download, _same, _same),
    }
    server = grpc.server(futures.ThreadPoolExecutor(4), options=_OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Raw", handlers),))
    port_out.put(server.add_insecure_port("127.0.0.1:0"))
    server.start()
    server.wait_for_termination()


def raw_round_trip_seconds(data: bytes, chunk: int, repeats: int) -> float:
    """Median seconds to upload ``data`` in ``chunk``-byte messages and download it again."""
    context = multiprocessing.get_context("spawn")
    port_out = context.Queue()
    server = context.Process(target=_serve, args=(len(data), chunk, port_out), daemon=True)
    server.start()
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port_out.get(timeout=60)}", _OPTIONS)
        upload = channel.stream_unary("/bench.Raw/Up", _same, _same)
        download = channel.unary_stream("/bench.Raw/Down", _same, _same)
        source, target = memoryview(data), memoryview(bytearray(len(data)))

        def chunks():
            for offset in range(0, len(data), chunk):
                yield bytes(source[offset : offset + chunk])

        times = []
        for _ in range(repeats + 1):  # the first warms up
            started = time.perf_counter()
            upload(chunks())
            offset = 0
            for message in download(b""):
                target[offset : offset + len(message)] = message
                offset += len(message)
            times.append(time.perf_counter() - started)
        channel.close()
        return statistics.median(times[1:])
    finally:
        server.terminate()
        server.join(timeout=30)
