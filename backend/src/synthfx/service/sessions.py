# SPDX-License-Identifier: Apache-2.0
"""Client sessions (one per effect instance) and the calls running in them."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from synthfx.errors import InputError
from synthfx.service.status import StatusError

_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{0,128}$")


@dataclass
class Session:
    session_id: str
    client_name: str
    label: str
    last_used: float = field(default_factory=time.monotonic)
    # request id -> cancel event of each running call
    calls: dict[str, threading.Event] = field(default_factory=dict)


class SessionRegistry:
    """Open sessions; a session unused for ``idle_timeout_s`` is closed on the next lookup.

    Args:
        max_sessions: more open sessions fail with RESOURCE_EXHAUSTED.
        idle_timeout_s: seconds after which an unused session is closed.
        on_close: called with the id of every closed session (to unpin its frames).
    """

    def __init__(
        self, max_sessions: int, idle_timeout_s: float, on_close: Callable[[str], None]
    ) -> None:
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self._on_close = on_close
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, client_name: str, label: str) -> Session:
        self._expire()
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise StatusError.resource_exhausted(
                    f"{len(self._sessions)} sessions are open, the limit is {self.max_sessions}"
                )
            session = Session(secrets.token_hex(16), client_name[:200], label[:200])
            self._sessions[session.session_id] = session
            return session

    def get(self, session_id: str) -> Session:
        """The open session, marked as used; NOT_FOUND names an unknown id."""
        if not _SESSION_ID.match(session_id):
            raise InputError(f"session_id must be 32 hex digits, got {session_id!r:.80}")
        self._expire()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise StatusError.not_found(
                    f"unknown session {session_id} (closed, expired or the server restarted): "
                    "open a new one"
                )
            session.last_used = time.monotonic()
            return session

    def close(self, session_id: str) -> None:
        session = self.get(session_id)
        with self._lock:
            self._sessions.pop(session_id, None)
            for event in session.calls.values():
                event.set()
        self._on_close(session_id)

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)

    def start_call(self, session: Session, request_id: str) -> tuple[str, threading.Event]:
        """Registers a running call; returns its (request id, cancel event)."""
        if not _REQUEST_ID.match(request_id):
            raise InputError(f"request_id must match {_REQUEST_ID.pattern}, got {request_id!r:.80}")
        request_id = request_id or secrets.token_hex(8)
        event = threading.Event()
        with self._lock:
            if request_id in session.calls:
                raise InputError(f"request_id {request_id!r} is already running in this session")
            session.calls[request_id] = event
        return request_id, event

    def end_call(self, session: Session, request_id: str) -> None:
        with self._lock:
            session.calls.pop(request_id, None)
            session.last_used = time.monotonic()

    def cancel(self, session: Session, request_id: str) -> int:
        """Sets the cancel event of one call (or all when ``request_id`` is empty)."""
        with self._lock:
            if request_id:
                events = [session.calls[request_id]] if request_id in session.calls else []
            else:
                events = list(session.calls.values())
        for event in events:
            event.set()
        return len(events)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            idle = [
                s.session_id
                for s in self._sessions.values()
                if not s.calls and now - s.last_used > self.idle_timeout_s
            ]
            for session_id in idle:
                del self._sessions[session_id]
        for session_id in idle:
            self._on_close(session_id)
