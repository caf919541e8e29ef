# SPDX-License-Identifier: Apache-2.0
"""The engine's progress callback, shared by the pipeline, its passes and the service.

One synthesis reports ``fraction`` done after every PatchMatch iteration and vote. The callback
stops it (raising ``CancelledError`` through the engine) once ``should_stop()`` is true, and
passes fractions on to ``report`` no more often than ``SYNTHESIS_EVENT_INTERVAL_S``, so a quick
synthesis reports nothing and a long one a few events a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from synthfx.errors import CancelledError

# Often enough for a progress bar to move, rare enough not to flood a remote client.
SYNTHESIS_EVENT_INTERVAL_S = 0.25


def engine_progress(
    should_stop: Callable[[], bool],
    report: Callable[[float], None] | None = None,
    what: str = "the synthesis",
) -> Callable[[float], None]:
    """A progress callback for one synthesis (``synthfx.engine.synthesize(progress=...)``).

    Args:
        should_stop: true once the synthesis must stop (cancel, passed deadline, lost client).
        report: gets the fraction done, in (0, 1), throttled; the first event comes once the
            synthesis has run for ``SYNTHESIS_EVENT_INTERVAL_S``.
        what: names the synthesis in the cancel message ("the synthesis of frame 12").

    Raises (from the callback):
        CancelledError: ``should_stop()`` is true; names ``what`` and the fraction done.
    """
    last_report = time.monotonic()

    def progress(fraction: float) -> None:
        nonlocal last_report
        if should_stop():
            raise CancelledError(f"cancelled during {what} ({fraction:.0%} done)")
        if report is None or fraction >= 1.0:
            return  # done: whoever runs the synthesis reports its completion
        now = time.monotonic()
        if fraction == 0.0:  # a synthesis starts (the same callback may serve several)
            last_report = now
        elif now - last_report >= SYNTHESIS_EVENT_INTERVAL_S:
            last_report = now
            report(fraction)

    return progress
