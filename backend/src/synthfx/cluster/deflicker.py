# SPDX-License-Identifier: Apache-2.0
"""``synthfx deflicker --cluster``: chunks of output frames as Ray tasks, each storing its
frames in the shared cache, while this process writes them in order.

An output frame depends only on the input frames of its window, so a chunk rendered on any
node is the same bits as the local run's frames.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

from synthfx.cluster.address import ClusterAddress
from synthfx.cluster.options import ClusterOptions
from synthfx.cluster.queue import TaskDone, TaskQueue, Work
from synthfx.cluster.runtime import connected
from synthfx.cluster.tasks import use_task_threads
from synthfx.deflicker.job import FINAL_KIND, Deflicker
from synthfx.deflicker.options import DeflickerOptions
from synthfx.io import FrameRange, FrameSource, open_frames
from synthfx.pipeline.store import ResultStore


@dataclass(frozen=True)
class DeflickerSpec:
    """One deflicker shot, as every node opens it (paths absolute, on shared storage)."""

    frames: str
    guide: str
    mask: str | None
    first: int
    last: int
    options: DeflickerOptions
    cache_dir: str

    def open_sources(self) -> tuple[FrameSource, FrameSource, FrameSource | None]:
        frame_range = FrameRange(self.first, self.last)
        render = open_frames(self.frames, frame_range)
        guide = open_frames(self.guide, frame_range)
        mask = open_frames(self.mask, frame_range) if self.mask is not None else None
        return render, guide, mask


def deflicker_chunk(spec: DeflickerSpec, frames: tuple[int, ...], threads: int) -> TaskDone:
    """Stores the output of every frame of ``frames``; reports their store keys."""
    start = time.perf_counter()
    use_task_threads(threads)
    engine = dataclasses.replace(spec.options.engine, threads=threads)
    options = dataclasses.replace(spec.options, engine=engine)
    render, guide, mask = spec.open_sources()
    try:
        job = Deflicker(render, guide, mask=mask, options=options, cache_dir=spec.cache_dir)
        for frame in frames:
            job.render(frame)
        keys = tuple(job.final_key(frame) for frame in frames)
    finally:
        for source in (render, guide, mask):
            if source is not None:
                source.close()
    return TaskDone(keys, socket.gethostname(), time.perf_counter() - start)


class ClusterFrames:
    """Runs a deflicker shot's chunks on Ray; its ``ensure`` is ``Deflicker``'s
    ``frame_runner``. Call ``attach`` with the driver's job first."""

    def __init__(
        self,
        ray: ModuleType,
        spec: DeflickerSpec,
        options: ClusterOptions,
        *,
        log: Callable[[str], None],
    ) -> None:
        self._spec_ref = ray.put(spec)
        self._first = spec.first
        self._last = spec.last
        self._chunk = options.chunk_frames
        self._threads = options.task_cpus
        gpus = options.task_gpus if spec.options.engine.backend == "cuda" else 0
        store = ResultStore(spec.cache_dir)
        self._queue = TaskQueue(ray, deflicker_chunk, options, gpus=gpus, store=store, log=log)
        self._job: Deflicker | None = None

    def attach(self, job: Deflicker, *, done: Callable[[int], bool] | None) -> None:
        """Submits every chunk with a frame still to write that the store lacks, in order."""
        self._job = job
        works = []
        for index in range(len(range(self._first, self._last + 1, self._chunk))):
            frames = self._frames(index)
            due = [f for f in frames if done is None or not done(f)]
            assert job.store is not None
            if due and not all(job.store.has(FINAL_KIND, job.final_key(f)) for f in frames):
                works.append(self._work(index))
        self._queue.submit(works)

    def ensure(self, frame: int) -> None:
        """Returns once ``frame``'s chunk is in the store (``TaskQueue.wait_for``'s errors)."""
        self._queue.wait_for(self._work((frame - self._first) // self._chunk), lambda _: None)

    def cancel(self) -> None:
        self._queue.cancel()

    @property
    def task_seconds(self) -> float:
        """Seconds the finished tasks ran, summed over the nodes."""
        return sum(done.seconds for done in self._queue.results.values())

    @property
    def retried(self) -> list[str]:
        return self._queue.retried

    def _frames(self, index: int) -> tuple[int, ...]:
        start = self._first + index * self._chunk
        return tuple(range(start, min(start + self._chunk, self._last + 1)))

    def _work(self, index: int) -> Work:
        assert self._job is not None
        frames = self._frames(index)
        what = f"chunk {index} (frames {frames[0]}-{frames[-1]})"
        keys = tuple(self._job.final_key(frame) for frame in frames)
        args = (self._spec_ref, frames, self._threads)
        return Work(index, what, frames, args, FINAL_KIND, keys)


@contextmanager
def deflicker_on_cluster(
    address: ClusterAddress,
    options: ClusterOptions,
    spec: DeflickerSpec,
    *,
    log: Callable[[str], None],
) -> Iterator[ClusterFrames]:
    """Connects to the cluster for the block and gives the shot's frame runner; tasks still
    running when the block ends are cancelled."""
    with connected(address, options) as ray:
        frames = ClusterFrames(ray, spec, options, log=log)
        try:
            yield frames
        finally:
            frames.cancel()
