# SPDX-License-Identifier: Apache-2.0
"""Service errors on the client side: one table from gRPC status codes to exceptions."""

from __future__ import annotations

import grpc

from synthfx.errors import CancelledError, InputError, SynthfxError


class ServiceError(SynthfxError):
    """A call to a synthfx backend failed; ``code`` is the gRPC status code.

    Attributes:
        retryable: whether the same call may succeed later (the backend was away or busy).
    """

    retryable = False

    def __init__(self, message: str, code: grpc.StatusCode) -> None:
        super().__init__(message)
        self.code = code


class InvalidRequestError(ServiceError, InputError):
    """The backend rejected a value of the request (INVALID_ARGUMENT, OUT_OF_RANGE)."""


class NotFoundError(ServiceError):
    """An unknown session or a frame the backend does not have (NOT_FOUND)."""


class ProtocolMismatchError(ServiceError):
    """Client and backend speak different protocol versions (FAILED_PRECONDITION)."""


class AuthenticationError(ServiceError):
    """Missing or wrong token (UNAUTHENTICATED, PERMISSION_DENIED)."""


class BackendBusyError(ServiceError):
    """A limit of the backend was reached (RESOURCE_EXHAUSTED)."""

    retryable = True


class BackendUnavailableError(ServiceError):
    """The backend cannot be reached or went away mid-call (UNAVAILABLE)."""

    retryable = True


class DeadlineExceededError(ServiceError):
    """The call's deadline passed before it finished (DEADLINE_EXCEEDED)."""


class ServiceCancelledError(ServiceError, CancelledError):
    """The call was cancelled (CANCELLED)."""


class BackendInternalError(ServiceError):
    """A bug in the backend (INTERNAL, UNKNOWN, ...)."""


_EXCEPTIONS: dict[grpc.StatusCode, type[ServiceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequestError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidRequestError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.FAILED_PRECONDITION: ProtocolMismatchError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: AuthenticationError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: BackendBusyError,
    grpc.StatusCode.UNAVAILABLE: BackendUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.CANCELLED: ServiceCancelledError,
}


def from_rpc_error(error: grpc.RpcError, address: str, call: str) -> ServiceError:
    """The exception for a failed call, its message naming the backend and the call."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else None) or str(error)
    kind = _EXCEPTIONS.get(code, BackendInternalError)
    return kind(f"backend {address}: {call} failed ({code.name}): {details}", code)
