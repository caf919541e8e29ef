# SPDX-License-Identifier: Apache-2.0
"""Server side of error reporting: exceptions to rows of ``synthfx.status_table``."""

from __future__ import annotations

from typing import NoReturn

import grpc

from synthfx.errors import (
    CancelledError,
    DeviceUnavailableError,
    DiskFullError,
    EngineError,
    InputError,
    SynthfxError,
)
from synthfx.status_table import KIND_METADATA_KEY, Status, status_named


class StatusError(SynthfxError):
    """An error the service layer raises with its status row (named by its kind)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status_named(kind)

    @property
    def code(self) -> grpc.StatusCode:
        return self.status.code

    @classmethod
    def not_found(cls, message: str) -> StatusError:
        return cls("not-found", message)

    @classmethod
    def resource_exhausted(cls, message: str) -> StatusError:
        return cls("busy", message)

    @classmethod
    def failed_precondition(cls, message: str) -> StatusError:
        return cls("protocol-mismatch", message)

    @classmethod
    def path_not_allowed(cls, message: str) -> StatusError:
        return cls("path-not-allowed", message)


# Checked in order: the first matching class wins (subclasses before their bases).
_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (CancelledError, "cancelled"),
    (DeviceUnavailableError, "device-unavailable"),
    (InputError, "invalid-argument"),
    (EngineError, "invalid-argument"),
    (MemoryError, "busy"),
    (DiskFullError, "busy"),
)


def status_of(error: BaseException) -> tuple[Status, str]:
    """The status row and details a failed call reports for ``error``."""
    if isinstance(error, StatusError):
        return error.status, str(error)
    for kind, name in _KINDS:
        if isinstance(error, kind):
            return status_named(name), str(error) or kind.__name__
    return status_named("internal"), f"internal error ({type(error).__name__}: {error})"


def abort(context: grpc.ServicerContext, status: Status, details: str) -> NoReturn:
    """Ends the call with ``status``: its code, and its kind in the trailing metadata."""
    context.set_trailing_metadata(((KIND_METADATA_KEY, status.kind),))
    context.abort(status.code, details)
    raise AssertionError("unreachable: grpc's abort raises")
