# SPDX-License-Identifier: Apache-2.0
"""Server side of error reporting: exceptions to gRPC status codes, in one table."""

from __future__ import annotations

import grpc

from synthfx.errors import (
    DeviceUnavailableError,
    CancelledError,
    EngineError,
    InputError,
    SynthfxError,
)


class ServiceError(SynthfxError):
    """An error with its gRPC status code, raised by the service layer."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code

    @classmethod
    def not_found(cls, message: str) -> ServiceError:
        return cls(grpc.StatusCode.NOT_FOUND, message)

    @classmethod
    def resource_exhausted(cls, message: str) -> ServiceError:
        return cls(grpc.StatusCode.RESOURCE_EXHAUSTED, message)

    @classmethod
    def failed_precondition(cls, message: str) -> ServiceError:
        return cls(grpc.StatusCode.FAILED_PRECONDITION, message)

    @classmethod
    def invalid(cls, message: str) -> ServiceError:
        return cls(grpc.StatusCode.INVALID_ARGUMENT, message)


# Checked in order: the first matching class wins (subclasses before their bases).
_CODES: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (CancelledError, grpc.StatusCode.CANCELLED),
    (DeviceUnavailableError, grpc.StatusCode.UNAVAILABLE),
    (InputError, grpc.StatusCode.INVALID_ARGUMENT),
    (EngineError, grpc.StatusCode.INVALID_ARGUMENT),
    (MemoryError, grpc.StatusCode.RESOURCE_EXHAUSTED),
)


def status_of(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and details a failed call reports for ``error``."""
    if isinstance(error, ServiceError):
        return error.code, str(error)
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code, str(error) or kind.__name__
    return grpc.StatusCode.INTERNAL, f"internal error ({type(error).__name__}: {error})"
