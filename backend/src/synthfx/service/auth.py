# SPDX-License-Identifier: Apache-2.0
"""Bearer-token check on every call (except health checks, which load balancers make)."""

from __future__ import annotations

import hmac
from pathlib import Path

import grpc

from synthfx.errors import InputError
from synthfx.service.status import abort
from synthfx.status_table import status_named

METADATA_KEY = "authorization"
_EXEMPT_PREFIX = "/grpc.health.v1.Health/"
# Shorter tokens are guessable; `openssl rand -hex 32` gives 64 characters.
MIN_TOKEN_CHARS = 16


def read_token(path: Path) -> str:
    """The token in ``path`` (surrounding whitespace ignored)."""
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise InputError(f"cannot read token file {path}: {exc.strerror}") from None
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise InputError(
            f"token file {path}: the token must be one word of at least {MIN_TOKEN_CHARS} "
            "characters (e.g. openssl rand -hex 32)"
        )
    return token


class TokenInterceptor(grpc.ServerInterceptor):
    """Rejects calls whose ``authorization`` metadata is not ``Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

        def deny(request: object, context: grpc.ServicerContext) -> None:
            abort(context, status_named("unauthenticated"), "missing or wrong token")

        self._deny: dict[tuple[bool, bool], grpc.RpcMethodHandler] = {
            (False, False): grpc.unary_unary_rpc_method_handler(deny),
            (False, True): grpc.unary_stream_rpc_method_handler(deny),
            (True, False): grpc.stream_unary_rpc_method_handler(deny),
            (True, True): grpc.stream_stream_rpc_method_handler(deny),
        }

    def intercept_service(self, continuation, handler_call_details):
        if handler_call_details.method.startswith(_EXEMPT_PREFIX):
            return continuation(handler_call_details)
        for key, value in handler_call_details.invocation_metadata or ():
            if key == METADATA_KEY:
                given = value.encode() if isinstance(value, str) else value
                if hmac.compare_digest(given, self._expected):
                    return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return self._deny[(handler.request_streaming, handler.response_streaming)]
