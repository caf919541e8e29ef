# SPDX-License-Identifier: Apache-2.0
"""Ray, imported only when ``--cluster`` asks for it, and one connection per job."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from synthfx.cluster.address import ClusterAddress
from synthfx.cluster.options import ClusterOptions
from synthfx.errors import InputError

MISSING_RAY = "--cluster needs Ray, which is not installed: pip install 'synthfx[ray]'"


def import_ray() -> ModuleType:
    """The ``ray`` module; InputError with the install command when it is missing."""
    try:
        import ray
    except ImportError:
        raise InputError(MISSING_RAY) from None
    return ray


def local_cpus(options: ClusterOptions) -> int:
    """CPUs the local Ray of ``ray:auto`` offers: ``workers`` tasks of ``task_cpus`` each."""
    if options.workers:
        return options.workers * options.task_cpus
    return max(os.cpu_count() or 1, options.task_cpus)


@contextmanager
def connected(address: ClusterAddress, options: ClusterOptions) -> Iterator[ModuleType]:
    """Connects to (or, for ``ray:auto``, starts) Ray for the block; disconnects after it.

    Raises:
        InputError: Ray is missing, or no cluster answers at the address.
    """
    ray = import_ray()
    if ray.is_initialized():  # a batch's shots share the connection its driver opened
        yield ray
        return
    settings = {"include_dashboard": False, "logging_level": logging.WARNING}
    try:
        if address.is_local:
            ray.init(address="local", num_cpus=local_cpus(options), **settings)
        else:
            ray.init(address=address.head, **settings)
    except ConnectionError as exc:
        raise InputError(
            f"--cluster {address}: no Ray cluster answers there ({exc}); start its head with "
            "ray start --head"
        ) from None
    try:
        yield ray
    finally:
        ray.shutdown()
