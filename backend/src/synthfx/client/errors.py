# SPDX-License-Identifier: Apache-2.0
"""Service errors on the client side: a class for each row of ``synthfx.status_table``."""

from __future__ import annotations

from typing import Any

import grpc

from synthfx.errors import CancelledError, DeviceUnavailableError, InputError, SynthfxError
from synthfx.status_table import KIND_METADATA_KEY, status_named, status_of_call


class ServiceError(SynthfxError):
    """A call to a synthfx backend failed.

    Attributes:
        code: the gRPC status code.
        kind: its row of ``synthfx.status_table`` ("not-found", "busy", ...).
        retryable: whether the same call may succeed later (the backend was away or busy).
    """

    def __init__(self, message: str, code: grpc.StatusCode, kind: str = "internal") -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.retryable = status_named(kind).retryable


class InvalidRequestError(ServiceError, InputError):
    """The backend rejected a value of the request (invalid-argument)."""


class NotFoundError(ServiceError):
    """An unknown session, a frame the backend does not have, a missing file (not-found)."""


class PathNotAllowedError(ServiceError, InputError):
    """A file path the backend may not read: outside its --read-root directories."""


class ProtocolMismatchError(ServiceError):
    """Client and backend speak different protocol versions (protocol-mismatch)."""


class AuthenticationError(ServiceError):
    """Missing or wrong token (unauthenticated)."""


class BackendBusyError(ServiceError):
    """A limit of the backend was reached, or its memory (busy)."""


class RemoteDeviceUnavailableError(ServiceError, DeviceUnavailableError):
    """The backend lacks the compute device the call asked for, e.g. CUDA (device-unavailable)."""


class BackendUnavailableError(ServiceError):
    """The backend cannot be reached or went away mid-call (unavailable)."""


class DeadlineExceededError(ServiceError):
    """The call's deadline passed before it finished (deadline-exceeded)."""


class ServiceCancelledError(ServiceError, CancelledError):
    """The call was cancelled (cancelled)."""


class BackendInternalError(ServiceError):
    """A bug in the backend (internal), or a status no synthfx backend sends."""


EXCEPTIONS: dict[str, type[ServiceError]] = {
    "invalid-argument": InvalidRequestError,
    "not-found": NotFoundError,
    "path-not-allowed": PathNotAllowedError,
    "protocol-mismatch": ProtocolMismatchError,
    "unauthenticated": AuthenticationError,
    "busy": BackendBusyError,
    "cancelled": ServiceCancelledError,
    "device-unavailable": RemoteDeviceUnavailableError,
    "internal": BackendInternalError,
    "unavailable": BackendUnavailableError,
    "deadline-exceeded": DeadlineExceededError,
}


def _kind_of(error: grpc.RpcError) -> str | None:
    trailers: Any = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == KIND_METADATA_KEY:
            return value if isinstance(value, str) else value.decode()
    return None


def from_rpc_error(error: grpc.RpcError, address: str, call: str) -> ServiceError:
    """The exception for a failed call, its message naming the backend and the call."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else None) or str(error)
    status = status_of_call(code, _kind_of(error))
    kind = EXCEPTIONS[status.kind]
    return kind(f"backend {address}: {call} failed ({code.name}): {details}", code, status.kind)
