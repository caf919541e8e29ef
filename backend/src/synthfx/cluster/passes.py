# SPDX-License-Identifier: Apache-2.0
"""The driver's side of a shot on a cluster: its passes submitted as Ray tasks, waited for in
the order the output frames need them, rerun when their worker dies.

Each pass is one task (a pass carries its state frame to frame, so it cannot be split). Tasks
write into the shared store atomically, so a task killed mid-write leaves no entry and a rerun
(or a second task racing on the same entry) writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from synthfx.cluster.options import ClusterOptions
from synthfx.cluster.shot import ShotSpec
from synthfx.cluster.tasks import PassDone, synthesize_pass
from synthfx.errors import SynthfxError
from synthfx.pipeline.passes import PASS_KIND
from synthfx.pipeline.planning import Pass
from synthfx.pipeline.store import ResultStore

# Ray's names for a task lost with its worker or node (rerun); any other failure is the task's.
_LOST = ("WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError", "ObjectLostError")


class ClusterError(SynthfxError, RuntimeError):
    """The cluster could not finish a job: tasks lost too often, or storage not shared."""


def describe(index: int, run: Pass) -> str:
    """``pass 2 (reverse from key 1012, frames 1011-1006)``, for the log."""
    frames = f"{run.frames[0]}-{run.frames[-1]}" if len(run.frames) > 1 else f"{run.frames[0]}"
    return f"pass {index} ({run.direction} from key {run.key}, frames {frames})"


@dataclass
class _Task:
    index: int
    run: Pass
    last_key: str
    ref: Any
    attempt: int = 0


class ClusterPasses:
    """Runs a shot's passes on Ray; its ``ensure`` is the ``Stylizer``'s ``pass_runner``.

    Args:
        ray: the connected ``ray`` module.
        shot: the shot as the nodes open it.
        options: task resources and retries.
        log: where retries are reported (one line each).
    """

    def __init__(
        self,
        ray: ModuleType,
        shot: ShotSpec,
        options: ClusterOptions,
        *,
        log: Callable[[str], None],
    ) -> None:
        self._ray = ray
        self._options = options
        self._log = log
        self._shot_ref = ray.put(shot)
        self._store = ResultStore(shot.cache_dir)
        gpus = options.task_gpus if shot.options.engine.backend == "cuda" else 0
        self._remote = ray.remote(synthesize_pass).options(
            num_cpus=options.task_cpus, num_gpus=gpus, max_retries=0
        )
        self._tasks: dict[int, _Task] = {}
        self._finished: dict[int, PassDone] = {}
        self._done_runs: dict[int, Pass] = {}
        self._unreported: list[int] = []
        self.retried: list[str] = []

    def submit(self, passes: Iterable[tuple[int, Pass, str]]) -> None:
        """Starts a task for each (index, pass, store key of its last frame), in that order."""
        for index, run, last_key in passes:
            if index not in self._tasks and index not in self._finished:
                self._tasks[index] = _Task(index, run, last_key, self._start(run))

    def ensure(self, index: int, run: Pass, keys: list[str], step: Callable[[int], None]) -> None:
        """Returns once pass ``index`` (``run``, whose frames' store keys are ``keys``) is in the
        store; ``step(frame)`` for each frame of every pass finished meanwhile.

        Raises:
            SynthfxError: the task's own error (bad input on a node), as raised there.
            ClusterError: its worker died more than ``max_retries`` times, or the store the
                nodes wrote is not the one this machine reads.
        """
        self.submit([(index, run, keys[-1])])
        while index not in self._finished:
            refs = [task.ref for task in self._tasks.values()]
            ready, _ = self._ray.wait(refs, num_returns=1)
            (task,) = [t for t in self._tasks.values() if t.ref == ready[0]]
            self._collect(task)
            for finished in self._unreported:
                for frame in self._done_runs[finished].frames:
                    step(frame)
            self._unreported.clear()

    def cancel(self) -> None:
        """Stops every task still running (the job failed or was interrupted)."""
        for task in self._tasks.values():
            self._ray.cancel(task.ref, force=True)
        self._tasks.clear()

    @property
    def results(self) -> dict[int, PassDone]:
        """Pass index -> what its task reported, for the passes run so far."""
        return dict(self._finished)

    # -- internals ------------------------------------------------------------------------

    def _start(self, run: Pass) -> Any:
        return self._remote.remote(self._shot_ref, run, self._options.task_cpus)

    def _collect(self, task: _Task) -> None:
        exceptions = self._ray.exceptions
        try:
            done: PassDone = self._ray.get(task.ref)
        except exceptions.RayTaskError as exc:
            del self._tasks[task.index]
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SynthfxError):
                raise cause from None
            raise
        except exceptions.RayError as exc:
            if type(exc).__name__ not in _LOST:
                raise
            self._retry(task, type(exc).__name__)
            return
        del self._tasks[task.index]
        self._check_stored(task, done)
        self._finished[task.index] = done
        self._done_runs[task.index] = task.run
        self._unreported.append(task.index)

    def _retry(self, task: _Task, reason: str) -> None:
        what = describe(task.index, task.run)
        if task.attempt >= self._options.max_retries:
            del self._tasks[task.index]
            raise ClusterError(
                f"{what} lost its worker {task.attempt + 1} times ({reason}); giving up "
                "(raise --max-retries, or look at the nodes' memory and logs)"
            )
        task.attempt += 1
        line = (
            f"{what} lost its worker ({reason}); running it again, "
            f"retry {task.attempt} of {self._options.max_retries}"
        )
        self.retried.append(line)
        self._log(line)
        task.ref = self._start(task.run)

    def _check_stored(self, task: _Task, done: PassDone) -> None:
        what = describe(task.index, task.run)
        if done.last_key != task.last_key:
            raise ClusterError(
                f"node {done.node} read other frames or keys than this machine for {what}: "
                "every node must see the same files at the same paths"
            )
        if not self._store.has(PASS_KIND, done.last_key):
            raise ClusterError(
                f"{what} ran on node {done.node} but its frames are not in the cache "
                f"{self._store.root} here: --cache must be on storage every node shares"
            )
