# SPDX-License-Identifier: Apache-2.0
"""The driver's side of a stylize shot on a cluster: one Ray task per pass (a pass carries
its state frame to frame, so it cannot be split), waited for in the order the output frames
need them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType

from synthfx.cluster.options import ClusterOptions
from synthfx.cluster.queue import TaskQueue, Work
from synthfx.cluster.shot import ShotSpec
from synthfx.cluster.tasks import synthesize_pass
from synthfx.pipeline.passes import PASS_KIND
from synthfx.pipeline.planning import Pass
from synthfx.pipeline.store import ResultStore


def describe(index: int, run: Pass) -> str:
    """``pass 2 (reverse from key 1012, frames 1011-1006)``, for the log."""
    frames = f"{run.frames[0]}-{run.frames[-1]}" if len(run.frames) > 1 else f"{run.frames[0]}"
    return f"pass {index} ({run.direction} from key {run.key}, frames {frames})"


class ClusterPasses:
    """Runs a shot's passes on Ray; its ``ensure`` is the ``Stylizer``'s ``pass_runner``.

    Args:
        ray: the connected ``ray`` module.
        shot: the shot as the nodes open it.
        options: task resources and retries.
        log: where reruns are reported (one line each).
        should_stop: see ``TaskQueue``.
    """

    def __init__(
        self,
        ray: ModuleType,
        shot: ShotSpec,
        options: ClusterOptions,
        *,
        log: Callable[[str], None],
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self._shot_ref = ray.put(shot)
        self._threads = options.task_cpus
        gpus = options.task_gpus if shot.options.engine.backend == "cuda" else 0
        store = ResultStore(shot.cache_dir)
        self._queue = TaskQueue(
            ray, synthesize_pass, options, gpus=gpus, store=store, log=log, should_stop=should_stop
        )

    def _work(self, index: int, run: Pass, last_key: str) -> Work:
        args = (self._shot_ref, run, self._threads)
        return Work(index, describe(index, run), run.frames, args, PASS_KIND, (last_key,))

    def submit(self, passes: Iterable[tuple[int, Pass, str]]) -> None:
        """Starts a task for each (index, pass, store key of its last frame), in that order."""
        self._queue.submit(self._work(*item) for item in passes)

    def ensure(self, index: int, run: Pass, keys: list[str], step: Callable[[int], None]) -> None:
        """Returns once pass ``index`` (``run``, whose frames' store keys are ``keys``) is in the
        store; ``step(frame)`` for each frame of every pass finished meanwhile (see
        ``TaskQueue.wait_for`` for the errors)."""
        self._queue.wait_for(self._work(index, run, keys[-1]), step)

    def cancel(self) -> None:
        self._queue.cancel()

    @property
    def task_seconds(self) -> float:
        """Seconds the finished tasks ran, summed over the nodes."""
        return sum(done.seconds for done in self._queue.results.values())

    @property
    def retried(self) -> list[str]:
        """One line per task rerun after its worker died."""
        return self._queue.retried
