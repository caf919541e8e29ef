# SPDX-License-Identifier: Apache-2.0
"""Wall-clock seconds spent per pipeline stage (flow, guides, synthesis, blend, io)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("read", "flow", "guides", "synthesis", "blend", "write")


class StageTimes:
    """Accumulates seconds by stage name."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start

    def as_dict(self) -> dict[str, float]:
        """Seconds for every known stage (0 when unused), then any other stage."""
        ordered = {name: round(self.seconds.get(name, 0.0), 6) for name in STAGES}
        ordered.update({k: round(v, 6) for k, v in self.seconds.items() if k not in ordered})
        return ordered
