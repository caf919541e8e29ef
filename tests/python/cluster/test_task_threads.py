# SPDX-License-Identifier: Apache-2.0
"""A pass task runs OpenCV on the cores it reserved, and its result does not depend on how
many those are."""

from __future__ import annotations

import os
from pathlib import Path

import cv2

from cluster_testing import FIRST, KEYS, LAST
from synthfx.cluster import ShotSpec
from synthfx.cluster.tasks import synthesize_pass
from synthfx.io import read_image
from synthfx.pipeline import StylizeOptions
from synthfx.pipeline.passes import PASS_KIND
from synthfx.pipeline.planning import plan_segments
from synthfx.pipeline.store import ResultStore


def test_a_task_uses_its_threads_and_stores_the_same_bits(shot: Path, tmp_path: Path) -> None:
    keys = {k: read_image(shot / f"k.{k:04d}.exr").pixels for k in KEYS}
    run = plan_segments(FIRST, LAST, KEYS).passes[0]
    before = cv2.getNumThreads()
    entries = []
    try:
        for threads in (1, max(os.cpu_count() or 2, 2)):
            cache = tmp_path / f"threads-{threads}"
            spec = ShotSpec(
                frames=str(shot / "f.####.exr"), first=FIRST, last=LAST, mask=None, keys=keys,
                options=StylizeOptions(), cache_dir=str(cache),
            )  # fmt: skip
            done = synthesize_pass(spec, run, threads)
            assert cv2.getNumThreads() == threads
            entry = ResultStore(cache).get_array(PASS_KIND, done.keys[-1])
            assert entry is not None
            entries.append(entry)
    finally:
        cv2.setNumThreads(before)
    assert entries[0].tobytes() == entries[1].tobytes()
