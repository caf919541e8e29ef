# SPDX-License-Identifier: Apache-2.0
"""Long calls (Render, ImageSynth) run on worker threads, so that the handler thread streams
their progress meanwhile; cancelled by Cancel, by the client, a passed deadline or a lost
connection."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc

from synthfx.pipeline import ProgressEvent
from synthfx.service.sessions import Session, SessionRegistry

Result = TypeVar("Result")
Message = TypeVar("Message")
# work(report, cancel): report takes progress events; cancel is set when the call must stop.
Work = Callable[[Callable[[ProgressEvent], None], threading.Event], Result]
_DONE = object()


class Calls:
    """The worker pool and the count of running calls (``GetInfo``'s load)."""

    def __init__(self, workers: int, sessions: SessionRegistry) -> None:
        self._sessions = sessions
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="synthfx-render")
        self._active = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        return self._active

    def stream(
        self,
        session: Session,
        request_id: str,
        context: grpc.ServicerContext,
        work: Work[Result],
        message: Callable[[ProgressEvent], Message | None],
    ) -> Generator[Message, None, Result]:
        """Runs ``work`` on a worker; yields ``message(event)`` for each of its progress events
        (None: not sent) and returns its result (or raises its exception)."""
        request_id, cancel = self._sessions.start_call(session, request_id)
        context.add_callback(cancel.set)
        events: queue.Queue[Any] = queue.Queue()
        with self._lock:
            self._active += 1
        try:
            future = self._workers.submit(work, events.put, cancel)
            future.add_done_callback(lambda _: events.put(_DONE))
            while (event := events.get()) is not _DONE:
                if (sent := message(event)) is not None:
                    yield sent
            return future.result()
        finally:
            with self._lock:
                self._active -= 1
            self._sessions.end_call(session, request_id)

    def shutdown(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
