# SPDX-License-Identifier: Apache-2.0
"""``synthfx serve --cluster``: the passes of the segments clients ask for run as Ray tasks, so a
farm's render nodes, asking one backend for their chunks, share the cluster's machines.

The server stays connected from start to stop. A segment's frames (uploads in the frame store)
travel to the tasks in Ray's object store; the tasks write the segment's own result store, so
the segment cache directory must be on storage every node shares (any directory for
``ray:auto``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

import numpy as np

from synthfx.cluster import ClusterAddress, ClusterOptions, ClusterPasses, ShotSpec, connected
from synthfx.pipeline.inputs import Frames
from synthfx.pipeline.options import StylizeOptions

log = logging.getLogger("synthfx.service")


class SegmentCluster:
    """The server's Ray connection and a pass runner for each segment it computes."""

    def __init__(self, address: ClusterAddress, options: ClusterOptions) -> None:
        self.address = address
        self.options = options
        self._stack = ExitStack()
        self._ray: ModuleType | None = None

    def start(self) -> None:
        """Connects (``ray:auto``: starts a local Ray). Raises InputError when none answers."""
        self._ray = self._stack.enter_context(connected(self.address, self.options))

    def stop(self) -> None:
        self._stack.close()
        self._ray = None

    def passes(
        self,
        frames: Frames,
        keys: dict[int, np.ndarray],
        mask: Frames | None,
        options: StylizeOptions,
        store_root: Path,
        flows_dir: Path,
        should_stop: Callable[[], bool],
    ) -> ClusterPasses:
        """The pass runner of one segment, its results stored in ``store_root``."""
        if self._ray is None:
            raise RuntimeError("the cluster is not connected (SegmentCluster.start)")
        frame_range = frames.frame_range
        shot = ShotSpec(
            frames={f: frames.read(f) for f in frame_range},
            first=frame_range.first,
            last=frame_range.last,
            mask=None if mask is None else {f: mask.read(f) for f in frame_range},
            keys=keys,
            options=options,
            cache_dir=str(store_root.resolve()),
            flow_cache_dir=str(flows_dir.resolve()),
        )
        return ClusterPasses(self._ray, shot, self.options, log=_log_rerun, should_stop=should_stop)


def _log_rerun(line: str) -> None:
    log.warning("cluster rerun", extra={"fields": {"detail": line}})
