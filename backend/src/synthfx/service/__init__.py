# SPDX-License-Identifier: Apache-2.0
"""The backend service (``synthfx serve``): gRPC server of the ``synthfx.v1`` contract."""

from __future__ import annotations

from synthfx.service.config import ServerConfig
from synthfx.service.server import Server, serve

__all__ = ["Server", "ServerConfig", "serve"]
