# SPDX-License-Identifier: Apache-2.0
"""The work a cluster node does: one synthesis pass of a shot, stored in the shared cache.

The function runs in a Ray worker process; Ray reuses those for later tasks, so a worker keeps
its flow estimators (RAFT's weights) loaded between passes.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from pathlib import Path

import cv2

from synthfx.cluster.queue import TaskDone
from synthfx.cluster.shot import ShotSpec
from synthfx.flow.base import FlowEstimator
from synthfx.flow.factory import make_flow_estimator
from synthfx.pipeline.inputs import ShotInputs
from synthfx.pipeline.passes import PassContext, fit_pyramid, run_pass
from synthfx.pipeline.planning import Pass
from synthfx.pipeline.store import ResultStore
from synthfx.pipeline.timing import StageTimes

_ESTIMATORS: dict[str, FlowEstimator] = {}


def _estimator(spec: str) -> FlowEstimator:
    if spec not in _ESTIMATORS:
        _ESTIMATORS[spec] = make_flow_estimator(spec)
    return _ESTIMATORS[spec]


def use_task_threads(threads: int) -> None:
    """Caps OpenCV's threads (flow, guides) at the cores the task reserved.

    OpenCV's pool defaults to every core of the node, so tasks sharing a node would run more
    threads than it has cores (Ray already sets OMP_NUM_THREADS, which BLAS follows). The
    thread count never changes a pixel.
    """
    cv2.setNumThreads(threads)


def synthesize_pass(shot: ShotSpec, run: Pass, threads: int) -> TaskDone:
    """Stores every frame of ``run`` in the shot's cache (frames already there are kept).

    ``threads`` is the synthesis' thread count, which never changes a pixel or a cache key.
    Reports the store key of the pass's last frame.
    """
    start = time.perf_counter()
    use_task_threads(threads)
    engine = dataclasses.replace(shot.options.engine, threads=threads)
    options = dataclasses.replace(shot.options, engine=engine)
    with shot.opened() as (frames, mask):
        inputs = ShotInputs(frames, shot.keys, mask)
        estimator = _estimator(options.flow)
        context = PassContext(
            inputs=inputs,
            options=options,
            engine=fit_pyramid(options.engine, inputs.height, inputs.width),
            store=ResultStore(shot.cache_dir),
            flow=lambda: estimator,
            times=StageTimes(),
            should_stop=lambda: False,
            on_frame=lambda frame: None,
            flow_dir=None if shot.flow_cache_dir is None else Path(shot.flow_cache_dir),
        )
        keys = run_pass(context, run)
    return TaskDone((keys[-1],), socket.gethostname(), time.perf_counter() - start)
