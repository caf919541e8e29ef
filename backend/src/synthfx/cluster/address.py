# SPDX-License-Identifier: Apache-2.0
"""``--cluster`` values: ``ray`` or ``ray:auto`` (a Ray started on this machine for the job) and
``ray:HOST:PORT`` (join the cluster whose head listens there)."""

from __future__ import annotations

from dataclasses import dataclass

from synthfx.errors import InputError

_USAGE = "expected ray, ray:auto or ray:HOST:PORT (the head's address, as ray start printed)"


@dataclass(frozen=True)
class ClusterAddress:
    """Where the tasks run: ``head`` is None for a local Ray started for the job."""

    head: str | None

    @property
    def is_local(self) -> bool:
        return self.head is None

    def __str__(self) -> str:
        return "ray:auto" if self.head is None else f"ray:{self.head}"


def parse_cluster(text: str) -> ClusterAddress:
    """``"ray:10.0.0.5:6379"`` -> ClusterAddress("10.0.0.5:6379").

    Raises:
        InputError: not one of the forms above; the message names the value.
    """
    engine, _, rest = text.partition(":")
    if engine != "ray":
        raise InputError(f"--cluster {text!r}: {_USAGE}")
    if rest in ("", "auto"):
        return ClusterAddress(None)
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--cluster {text!r}: {_USAGE}")
    return ClusterAddress(rest)
