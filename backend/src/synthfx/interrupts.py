# SPDX-License-Identifier: Apache-2.0
"""Holding Ctrl-C back while a few steps that belong together run."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Delays SIGINT until the block ends, then acts on it as the previous handler would.

    A frame's file and the record that says it is finished must both be written, or a rerun
    computes the frame again. Only the main thread receives signals, so elsewhere this is a
    no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[FrameType | None] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(frame)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if not received:
        return
    if callable(previous):
        previous(signal.SIGINT, received[0])
    elif previous == signal.SIG_DFL:
        raise KeyboardInterrupt
