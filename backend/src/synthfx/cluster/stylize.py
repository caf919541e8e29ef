# SPDX-License-Identifier: Apache-2.0
"""A ``Stylizer`` whose passes run on a Ray cluster while this process writes the frames.

with stylize_on_cluster(address, ClusterOptions(), shot, log=print) as passes:
    stylizer = Stylizer(frames, keys, cache_dir=shot.cache_dir, pass_runner=passes.ensure)
    queue_passes(passes, stylizer, done=writer.is_done)
    stylizer.run(writer.write, done=writer.is_done)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from synthfx.cluster.address import ClusterAddress
from synthfx.cluster.options import ClusterOptions
from synthfx.cluster.passes import ClusterPasses
from synthfx.cluster.runtime import connected
from synthfx.cluster.shot import ShotSpec
from synthfx.pipeline.passes import PASS_KIND
from synthfx.pipeline.stylizer import Stylizer


@contextmanager
def stylize_on_cluster(
    address: ClusterAddress,
    options: ClusterOptions,
    shot: ShotSpec,
    *,
    log: Callable[[str], None],
) -> Iterator[ClusterPasses]:
    """Connects to the cluster for the block and gives the shot's pass runner; tasks still
    running when the block ends (an error, Ctrl-C) are cancelled."""
    with connected(address, options) as ray:
        passes = ClusterPasses(ray, shot, options, log=log)
        try:
            yield passes
        finally:
            passes.cancel()


def queue_passes(
    passes: ClusterPasses, stylizer: Stylizer, *, done: Callable[[int], bool] | None
) -> int:
    """Submits every pass a frame still to write needs and the store lacks, in the order the
    frames need them; returns how many were submitted."""
    order: list[int] = []
    for frame in stylizer.frame_range:
        if done is not None and done(frame):
            continue
        order.extend(i for i in stylizer.plan.passes_for(frame) if i not in order)
    due = []
    for index in order:
        keys = stylizer.pass_keys(index)
        if not all(stylizer.store.has(PASS_KIND, key) for key in keys):
            due.append((index, stylizer.plan.passes[index], keys[-1]))
    passes.submit(due)
    return len(due)
