# SPDX-License-Identifier: Apache-2.0
"""Rendered segments on disk: one result store per segment key, least recently used evicted.

``ROOT/segments/<key>/`` is the segment's ``ResultStore``, the one its Stylizer writes (passes
and finals, each written atomically by the pipeline); the cache keeps or drops it whole through
the store's own size, marks and ``remove``. Its ``complete`` mark says the segment's passes are
all stored, and the mark's modification time is the segment's last use. Flows go to ``ROOT/flows``,
shared by every job: they are keyed by the two frames and the flow method only, so a job whose
style or parameters changed reuses them (a quarter of the disk budget, least recently used
pruned). Everything survives restarts. A segment is computed under its own lock (so once,
however many requests need it) and inside the compute slot (so heavy work is serialized);
finished segments are served without waiting for the slot. With a cluster
(``synthfx serve --cluster``) a segment's passes run as Ray tasks, all submitted at once, and
no compute slot is taken: the cluster schedules the work.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from synthfx.cluster import ClusterPasses, queue_passes
from synthfx.errors import CancelledError
from synthfx.flow.cache import prune_flow_cache
from synthfx.pipeline import ProgressEvent, RenderResult, Stylizer
from synthfx.pipeline.planning import Pass
from synthfx.pipeline.store import ResultStore
from synthfx.service.cluster import SegmentCluster
from synthfx.service.jobs import SegmentJob

COMPLETE_MARK = "complete"
# Stylizers kept in memory (each holds its segment's frames).
_LIVE_SEGMENTS = 16
# How often a request waiting for the compute slot checks for cancellation.
_WAIT_POLL_S = 0.05
# The part of the disk budget shared flows may use (a 4K flow is 66 MB); segments get the rest.
_FLOW_SHARE = 0.25

log = logging.getLogger("synthfx.service")


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0


class _CancelProxy:
    """The cancel event the Stylizer sees: the current request's event."""

    def __init__(self) -> None:
        self.event: threading.Event | None = None

    def is_set(self) -> bool:
        return self.event is not None and self.event.is_set()


@dataclass
class _Segment:
    key: str
    store: ResultStore
    lock: threading.Lock = field(default_factory=threading.Lock)
    stylizer: Stylizer | None = None
    listener: Callable[[ProgressEvent], None] | None = None
    cancel: _CancelProxy = field(default_factory=_CancelProxy)
    users: int = 0
    passes: ClusterPasses | None = None  # on a cluster: runs the Stylizer's passes

    def progress(self, event: ProgressEvent) -> None:
        if self.listener is not None:
            self.listener(event)

    def run_pass(self, index: int, run: Pass, keys: list[str], step: Callable[[int], None]):
        assert self.passes is not None
        self.passes.ensure(index, run, keys, step)


class SegmentCache:
    """Renders frames through per-segment Stylizers and bounds the disk they use.

    Args:
        root: cache directory (created when missing).
        limit_bytes: disk budget; least recently used segments beyond it are deleted.
        compute_slots: segments computed at the same time (1: the engine uses every core).
        cluster: where passes run instead of this process (connected), or None.
    """

    def __init__(
        self,
        root: Path,
        limit_bytes: int,
        compute_slots: int = 1,
        cluster: SegmentCluster | None = None,
    ) -> None:
        self.root = root
        self._cluster = cluster
        self.segments_dir = root / "segments"
        self.flows_dir = root / "flows"
        self.trash_dir = root / "trash"
        self.segments_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.trash_dir, ignore_errors=True)
        self.flow_limit_bytes = int(limit_bytes * _FLOW_SHARE)
        self.limit_bytes = limit_bytes - self.flow_limit_bytes  # for segments
        self._flow_bytes = prune_flow_cache(self.flows_dir, self.flow_limit_bytes)
        self.stats = CacheStats()
        self._slots = threading.Semaphore(compute_slots)
        self._waiting = 0
        self._lock = threading.Lock()
        self._live: OrderedDict[str, _Segment] = OrderedDict()
        self._sizes = {
            p.name: self._store(p.name, create=False).disk_usage()
            for p in self.segments_dir.iterdir()
            if p.is_dir()
        }

    def _store(self, key: str, *, create: bool) -> ResultStore:
        return ResultStore(self.segments_dir / key, create=create)

    # -- rendering --------------------------------------------------------------------------

    def render(
        self,
        job: SegmentJob,
        frame: int,
        listener: Callable[[ProgressEvent], None],
        cancel: threading.Event,
        refresh: bool = False,
    ) -> tuple[RenderResult, bool]:
        """The frame's output and whether its segment was already computed.

        With ``refresh`` the segment's cached results are dropped and it is computed again.

        Raises:
            CancelledError: ``cancel`` was set while waiting or computing.
            InputError: inputs the pipeline rejects.
        """
        segment = self._acquire(job)
        cached = False
        try:
            with segment.lock:
                if refresh:
                    self._discard(segment)
                cached = segment.store.marked(COMPLETE_MARK)
                if segment.stylizer is None:
                    segment.stylizer = Stylizer(
                        job.frames,
                        job.keys,
                        mask=job.mask,
                        options=job.options,
                        cache_dir=segment.store,
                        flow_cache_dir=self.flows_dir,
                        progress=segment.progress,
                        cancel=segment.cancel,  # type: ignore[arg-type]  # only is_set() is used
                        pass_runner=None if self._cluster is None else segment.run_pass,
                    )
                    segment.store.create()  # once the inputs are accepted
                segment.listener, segment.cancel.event = listener, cancel
                try:
                    if cached:
                        result = segment.stylizer.render(frame)
                    elif self._cluster is not None:
                        result = self._render_on_cluster(segment, self._cluster, job, frame)
                        segment.store.mark(COMPLETE_MARK)
                    else:
                        with self.compute_slot(frame, listener, cancel):
                            result = segment.stylizer.render(frame)
                        segment.store.mark(COMPLETE_MARK)
                finally:
                    segment.listener, segment.cancel.event = None, None
                segment.store.used(COMPLETE_MARK)
            with self._lock:
                if cached:
                    self.stats.hits += 1
                else:
                    self.stats.misses += 1
                    self._sizes[job.key] = segment.store.disk_usage()
            return result, cached
        finally:
            self._release(segment)
            self._enforce_limit()
            if not cached:
                self._flow_bytes = prune_flow_cache(self.flows_dir, self.flow_limit_bytes)

    def _render_on_cluster(
        self, segment: _Segment, cluster: SegmentCluster, job: SegmentJob, frame: int
    ) -> RenderResult:
        """Submits every pass the segment lacks, then renders ``frame`` as they land; a failure
        or cancel stops the segment's tasks still running."""
        assert segment.stylizer is not None
        if segment.passes is None:
            segment.passes = cluster.passes(
                job.frames, job.keys, job.mask, job.options, segment.store.root, self.flows_dir,
                segment.cancel.is_set,
            )  # fmt: skip
        passes = segment.passes
        try:
            submitted = queue_passes(passes, segment.stylizer, done=None)
            result = segment.stylizer.render(frame)
        except BaseException:
            passes.cancel()
            raise
        fields = {
            "segment": f"{job.segment.first}-{job.segment.last}",
            "passes": submitted,
            "task_seconds": passes.task_seconds,
        }
        log.info("segment on cluster", extra={"fields": fields})
        return result

    @contextlib.contextmanager
    def compute_slot(
        self, frame: int, listener: Callable[[ProgressEvent], None], cancel: threading.Event
    ):
        with self._lock:
            self._waiting += 1
        try:
            announced = False
            while not self._slots.acquire(timeout=_WAIT_POLL_S):
                if cancel.is_set():
                    raise CancelledError(f"cancelled while queued for frame {frame}")
                if not announced:
                    listener(ProgressEvent("queued", frame, 0, 0))
                    announced = True
        finally:
            with self._lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()

    def _discard(self, segment: _Segment) -> None:
        """Drops a segment's results (its lock held): the next render computes it afresh."""
        segment.stylizer = segment.passes = None
        segment.store.remove(self.trash_dir)
        segment.store = self._store(segment.key, create=False)
        with self._lock:
            self._sizes.pop(segment.key, None)

    def _acquire(self, job: SegmentJob) -> _Segment:
        with self._lock:
            segment = self._live.get(job.key)
            if segment is None:
                segment = _Segment(job.key, self._store(job.key, create=False))
                self._live[job.key] = segment
            self._live.move_to_end(job.key)
            segment.users += 1
            return segment

    def _release(self, segment: _Segment) -> None:
        with self._lock:
            segment.users -= 1
            while len(self._live) > _LIVE_SEGMENTS:
                idle = next((k for k, s in self._live.items() if s.users == 0), None)
                if idle is None:
                    break
                del self._live[idle]

    # -- disk budget ------------------------------------------------------------------------

    def usage(self) -> tuple[int, int, int]:
        """(bytes used, segments on disk, requests waiting for the compute slot)."""
        with self._lock:
            used = sum(self._sizes.values()) + self._flow_bytes
            return used, len(self._sizes), self._waiting

    def _enforce_limit(self) -> None:
        with self._lock:
            used = sum(self._sizes.values())
            if used <= self.limit_bytes:
                return
            busy = {k for k, s in self._live.items() if s.users > 0}
            by_age = sorted(
                (k for k in self._sizes if k not in busy),
                key=lambda k: self._store(k, create=False).last_used(COMPLETE_MARK),
            )
            victims = []
            for key in by_age:
                if used <= self.limit_bytes:
                    break
                used -= self._sizes.pop(key)
                self._live.pop(key, None)
                victims.append(key)
                self.stats.evictions += 1
                # Retired inside the lock: a new request for the key starts from empty.
                self._store(key, create=False).retire(self.trash_dir)
        for key in victims:
            log.info("cache eviction", extra={"fields": {"segment": key}})
        shutil.rmtree(self.trash_dir, ignore_errors=True)
