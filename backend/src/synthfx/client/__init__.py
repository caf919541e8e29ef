# SPDX-License-Identifier: Apache-2.0
"""Client of the synthfx backend service (``synthfx serve``).

The wire it shares with the server is ``synthfx.transport``.
"""

from __future__ import annotations

from synthfx.client.backend import (
    BackendClient,
    Payload,
    ReceivedImage,
    RenderedFrame,
    StyledKeyframe,
)
from synthfx.client.errors import (
    AuthenticationError,
    BackendBusyError,
    BackendInternalError,
    BackendUnavailableError,
    DeadlineExceededError,
    InvalidRequestError,
    NotFoundError,
    PathNotAllowedError,
    ProtocolMismatchError,
    RemoteDeviceUnavailableError,
    ServiceCancelledError,
    ServiceError,
)

__all__ = [
    "AuthenticationError",
    "BackendBusyError",
    "BackendClient",
    "BackendInternalError",
    "BackendUnavailableError",
    "DeadlineExceededError",
    "InvalidRequestError",
    "NotFoundError",
    "PathNotAllowedError",
    "Payload",
    "ProtocolMismatchError",
    "ReceivedImage",
    "RemoteDeviceUnavailableError",
    "RenderedFrame",
    "ServiceCancelledError",
    "ServiceError",
    "StyledKeyframe",
]
