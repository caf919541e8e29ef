# SPDX-License-Identifier: Apache-2.0
"""How a job uses a Ray cluster: the resources of each task and how often a lost one is rerun.

None of these changes a pixel: a shot rendered on a cluster equals the local run bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthfx.errors import InputError
from synthfx.schema import option, options_of, problem

_PAGE = "cluster"


@dataclass(frozen=True)
class ClusterOptions:
    """Resources and retries of the Ray tasks of a job (``--cluster``)."""

    task_cpus: int = option(
        1,
        help="CPU cores each task reserves on its node; the synthesis runs that many threads.",
        label="Task CPUs", param="clusterTaskCpus", page=_PAGE, minimum=1, maximum=1024,
    )  # fmt: skip
    task_gpus: float = option(
        1.0,
        help="GPUs each task reserves with --device cuda (a fraction shares one GPU).",
        label="Task GPUs", param="clusterTaskGpus", page=_PAGE, minimum=0.01, maximum=64,
    )  # fmt: skip
    max_retries: int = option(
        3,
        help="How many times a task whose worker or node died is run again elsewhere.",
        label="Max Retries", param="clusterMaxRetries", page=_PAGE, minimum=0, maximum=100,
    )  # fmt: skip
    chunk_frames: int = option(
        8,
        help="deflicker only: output frames each task renders (it reads their windows).",
        label="Chunk Frames", param="clusterChunkFrames", page=_PAGE, minimum=1, maximum=100000,
    )  # fmt: skip
    workers: int = option(
        0,
        help="ray:auto only: how many tasks the local Ray runs at once; 0: one per "
        "task-cpus cores of this machine.",
        label="Workers", param="clusterWorkers", page=_PAGE, minimum=0, maximum=1024,
    )  # fmt: skip

    def __post_init__(self) -> None:
        for opt in options_of(ClusterOptions):
            message = problem(opt, getattr(self, opt.name))
            if message:
                raise InputError(f"cluster {message}")
