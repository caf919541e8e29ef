# SPDX-License-Identifier: Apache-2.0
"""Ray tasks that store results in the shared cache, waited for in the order the driver needs
them and rerun when their worker dies.

Tasks write into the shared store atomically, so a task killed mid-write leaves no entry and
a rerun (or a second task racing on the same entry) writes the same bytes. Ray's own retries
are off (``max_retries=0``): the queue reruns a lost task itself, so the log can say which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from synthfx.cluster.options import ClusterOptions
from synthfx.errors import CancelledError, SynthfxError
from synthfx.pipeline.store import ResultStore

# Ray's names for a task lost with its worker or node (rerun); any other failure is the task's.
_LOST = ("WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError", "ObjectLostError")
# How often a wait that can be cancelled looks at its should_stop.
_CANCEL_POLL_S = 0.1


class ClusterError(SynthfxError, RuntimeError):
    """The cluster could not finish a job: tasks lost too often, or storage not shared."""


@dataclass(frozen=True)
class TaskDone:
    """What a task reports: the store keys it made sure of, where and how long it ran."""

    keys: tuple[str, ...]
    node: str
    seconds: float


@dataclass(frozen=True)
class Work:
    """One task to run: ``function(*args)`` must store ``keys`` (of ``kind``) in the store.

    Attributes:
        index: the driver's number of the task (a pass, a chunk of frames).
        what: how the log names it (``pass 2 (reverse from key 1012, frames 1011-1006)``).
        frames: the frames it computes (reported by ``wait_for`` once it is done).
        args: the remote function's arguments.
        kind: the store kind of its results.
        keys: the store keys it must leave in the store, as the driver computes them.
    """

    index: int
    what: str
    frames: tuple[int, ...]
    args: tuple[Any, ...]
    kind: str
    keys: tuple[str, ...]


@dataclass
class _Running:
    work: Work
    ref: Any
    attempt: int = 0


class TaskQueue:
    """Runs ``Work`` as tasks of one remote function.

    Args:
        ray: the connected ``ray`` module.
        function: the task (a plain function; it returns a ``TaskDone``).
        options: task resources and retries.
        gpus: GPUs each task reserves (0 unless the CUDA backend is used).
        store: the shared store, as this machine sees it.
        log: where reruns are reported (one line each).
        should_stop: polled while waiting; once true the running tasks are cancelled and
            ``wait_for`` raises CancelledError (a service call cancelled by its client).
    """

    def __init__(
        self,
        ray: ModuleType,
        function: Callable[..., TaskDone],
        options: ClusterOptions,
        *,
        gpus: float,
        store: ResultStore,
        log: Callable[[str], None],
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self._ray = ray
        self._should_stop = should_stop
        self._options = options
        self._store = store
        self._log = log
        self._remote = ray.remote(function).options(
            num_cpus=options.task_cpus, num_gpus=gpus, max_retries=0
        )
        self._running: dict[int, _Running] = {}
        self._done: dict[int, Work] = {}
        self._unreported: list[int] = []
        self.results: dict[int, TaskDone] = {}
        self.retried: list[str] = []

    def submit(self, works: Iterable[Work]) -> None:
        """Starts a task for each work not started yet, in that order."""
        for work in works:
            if work.index not in self._running and work.index not in self._done:
                self._running[work.index] = _Running(work, self._remote.remote(*work.args))

    def wait_for(self, work: Work, step: Callable[[int], None]) -> None:
        """Returns once ``work`` (started now if it was not) is done; ``step(frame)`` for each
        frame of every work finished meanwhile.

        Raises:
            SynthfxError: the task's own error (bad input on a node), as raised there.
            CancelledError: ``should_stop`` became true (the tasks are cancelled).
            ClusterError: its worker died more than ``max_retries`` times, or the store the
                nodes wrote is not the one this machine reads.
        """
        self.submit([work])
        while work.index not in self._done:
            refs = [running.ref for running in self._running.values()]
            timeout = None if self._should_stop is None else _CANCEL_POLL_S
            ready, _ = self._ray.wait(refs, num_returns=1, timeout=timeout)
            if not ready:
                if self._should_stop is not None and self._should_stop():
                    self.cancel()
                    raise CancelledError(f"cancelled while the cluster ran {work.what}")
                continue
            (running,) = [r for r in self._running.values() if r.ref == ready[0]]
            self._collect(running)
            for index in self._unreported:
                for frame in self._done[index].frames:
                    step(frame)
            self._unreported.clear()

    def cancel(self) -> None:
        """Stops every task still running (the job failed or was interrupted)."""
        for running in self._running.values():
            self._ray.cancel(running.ref, force=True)
        self._running.clear()

    def _collect(self, running: _Running) -> None:
        work = running.work
        exceptions = self._ray.exceptions
        try:
            done: TaskDone = self._ray.get(running.ref)
        except exceptions.RayTaskError as exc:
            del self._running[work.index]
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SynthfxError):
                raise cause from None
            raise
        except exceptions.RayError as exc:
            if type(exc).__name__ not in _LOST:
                raise
            self._rerun(running, type(exc).__name__)
            return
        del self._running[work.index]
        self._check_stored(work, done)
        self.results[work.index] = done
        self._done[work.index] = work
        self._unreported.append(work.index)

    def _rerun(self, running: _Running, reason: str) -> None:
        what = running.work.what
        if running.attempt >= self._options.max_retries:
            del self._running[running.work.index]
            raise ClusterError(
                f"{what} lost its worker {running.attempt + 1} times ({reason}); giving up "
                "(raise --max-retries, or look at the nodes' memory and logs)"
            )
        running.attempt += 1
        line = (
            f"{what} lost its worker ({reason}); running it again, "
            f"retry {running.attempt} of {self._options.max_retries}"
        )
        self.retried.append(line)
        self._log(line)
        running.ref = self._remote.remote(*running.work.args)

    def _check_stored(self, work: Work, done: TaskDone) -> None:
        if done.keys != work.keys:
            raise ClusterError(
                f"node {done.node} read other frames or keys than this machine for "
                f"{work.what}: every node must see the same files at the same paths"
            )
        if not all(self._store.has(work.kind, key) for key in work.keys):
            raise ClusterError(
                f"{work.what} ran on node {done.node} but its results are not in the cache "
                f"{self._store.root} here: --cache must be on storage every node shares"
            )
