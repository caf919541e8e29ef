# SPDX-License-Identifier: Apache-2.0
"""The one table of how a synthfx.v1 call fails: kind, gRPC code, meaning, retry.

The server maps its exceptions to a row (``synthfx.service.status``) and sends the row's gRPC
code with the row's ``kind`` in the trailing metadata ``synthfx-error``; both clients (Python:
``synthfx.client.errors``, C++: ``ofx_plugin/client/grpc_client.cpp:statusOf``) map the kind
back, or the bare code where gRPC itself failed the call (no server reached, deadline passed).
The kind tells apart what one code cannot: UNAVAILABLE from an unreachable backend is worth a
retry, UNAVAILABLE for a missing CUDA device is not. proto/synthfx/v1/synthfx.proto documents
this table for other clients; a test checks that it, both clients and this module agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

# Trailing metadata key that carries a failed call's kind.
KIND_METADATA_KEY = "synthfx-error"


@dataclass(frozen=True)
class Status:
    """One way a call fails.

    Attributes:
        kind: the ``synthfx-error`` trailer value.
        code: the gRPC status code sent with it.
        meaning: when it happens.
        retryable: whether the same call may succeed later unchanged.
        sent_by_server: False for kinds only gRPC itself produces (the client infers them).
    """

    kind: str
    code: grpc.StatusCode
    meaning: str
    retryable: bool = False
    sent_by_server: bool = True


STATUSES: tuple[Status, ...] = (
    Status("invalid-argument", grpc.StatusCode.INVALID_ARGUMENT, "a bad shape, dtype, parameter"),
    Status("not-found", grpc.StatusCode.NOT_FOUND, "unknown session, frame not uploaded, no file"),
    Status("path-not-allowed", grpc.StatusCode.PERMISSION_DENIED, "a path outside --read-root"),
    Status("protocol-mismatch", grpc.StatusCode.FAILED_PRECONDITION, "protocol majors differ"),
    Status("unauthenticated", grpc.StatusCode.UNAUTHENTICATED, "missing or wrong token"),
    Status("busy", grpc.StatusCode.RESOURCE_EXHAUSTED, "a limit or memory", retryable=True),
    Status("cancelled", grpc.StatusCode.CANCELLED, "Cancel, or the client cancelled the call"),
    Status("device-unavailable", grpc.StatusCode.UNAVAILABLE, "the device asked for is absent"),
    Status("internal", grpc.StatusCode.INTERNAL, "a bug in the backend: please report it"),
    Status(
        "unavailable",
        grpc.StatusCode.UNAVAILABLE,
        "the backend cannot be reached or went away",
        retryable=True,
        sent_by_server=False,
    ),
    Status(
        "deadline-exceeded",
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "the call's deadline passed",
        sent_by_server=False,
    ),
)

_BY_KIND = {status.kind: status for status in STATUSES}


def status_named(kind: str) -> Status:
    """The row of ``kind``.

    Raises:
        KeyError: no such kind.
    """
    return _BY_KIND[kind]


def status_of_call(code: grpc.StatusCode, kind: str | None) -> Status:
    """The row a client reads from a failed call: by its kind, else by its code (a code the
    server never sends, or another server's, reads as internal)."""
    if kind in _BY_KIND:
        return _BY_KIND[kind]
    for status in STATUSES:
        if status.code == code and not status.sent_by_server:
            return status
    for status in STATUSES:
        if status.code == code:
            return status
    return _BY_KIND["internal"]
