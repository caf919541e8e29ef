# SPDX-License-Identifier: Apache-2.0
"""Deflickered frames on disk: the ``Deflicker`` rpc's results, least recently used evicted.

``ROOT/`` is one ``ResultStore`` holding the frames under the keys ``synthfx deflicker`` gives
them (``Deflicker.final_key``: the format, the engine version, every pixel-changing option and
the content of each frame of the window), so a changed input or option misses and nothing here
invents a second key scheme. ``Deflicker`` itself reads and writes the store: an entry is
written atomically once its frame is finished, so a cancelled or failed call leaves none and two
calls racing on one frame each write a whole entry. A frame found in the store is served
without waiting for the compute slot; a frame computed waits for it, and a call that waited
behind another computing the same frame then finds that frame in the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from synthfx.deflicker import Deflicker, DeflickerOptions, DeflickerResult
from synthfx.deflicker.job import FINAL_KIND
from synthfx.io.pruning import prune_least_recent
from synthfx.pipeline import ProgressEvent
from synthfx.pipeline.inputs import Frames
from synthfx.pipeline.store import ResultStore
from synthfx.service.segment_cache import CacheStats

# The part of the service's disk budget deflickered frames may use (a 768x512 RGBA frame and
# its support take 7.9 MB); segments and flows share the rest.
DEFLICKER_SHARE = 0.25
# compute_slot(frame, report, cancel): held while a frame is computed (SegmentCache's).
ComputeSlot = Callable[
    [int, Callable[[ProgressEvent], None], threading.Event], AbstractContextManager[None]
]


class DeflickerCache:
    """Deflickers frames through a size-bounded store of finished frames.

    Args:
        root: store directory (created when missing).
        limit_bytes: disk budget; least recently used frames beyond it are deleted.
        compute_slot: what a computed frame holds while the engine runs.
    """

    def __init__(self, root: Path, limit_bytes: int, compute_slot: ComputeSlot) -> None:
        self.store = ResultStore(root)
        self.limit_bytes = limit_bytes
        self.stats = CacheStats()
        self._compute_slot = compute_slot
        self._lock = threading.Lock()
        self._bytes = self._prune()

    def render(
        self,
        render: Frames,
        guide: Frames,
        mask: Frames | None,
        options: DeflickerOptions,
        frame: int,
        report: Callable[[ProgressEvent], None],
        cancel: threading.Event,
    ) -> tuple[DeflickerResult, int, bool]:
        """The frame's result, the engine remaps it took and whether it came from the store.

        Raises:
            CancelledError: ``cancel`` was set while waiting or computing.
            InputError: inputs ``Deflicker`` rejects.
        """
        deflickerer = Deflicker(
            render, guide, mask=mask, options=options, cache_dir=self.store.root,
            progress=report, cancel=cancel, reference=frame,
        )  # fmt: skip
        key = deflickerer.final_key(frame)
        if self.store.has(FINAL_KIND, key):
            result = deflickerer.render(frame)
            self.store.touch_array(FINAL_KIND, key)
        else:
            with self._compute_slot(frame, report, cancel):
                result = deflickerer.render(frame)
        # A window holds at least one neighbour: no remap means the frame was read back.
        cached = deflickerer.remaps == 0
        with self._lock:
            if cached:
                self.stats.hits += 1
            else:
                self.stats.misses += 1
                self._bytes = self._prune()
        return result, deflickerer.remaps, cached

    def usage(self) -> int:
        """Bytes the stored frames use."""
        with self._lock:
            return self._bytes

    def _prune(self) -> int:
        return prune_least_recent(self.store.array_files(FINAL_KIND), self.limit_bytes)
