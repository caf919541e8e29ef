# SPDX-License-Identifier: Apache-2.0
"""``--cluster`` and the task options for the subcommands that can run on Ray."""

from __future__ import annotations

import argparse

from synthfx.cli.engine_options import add_options, option_values
from synthfx.cluster.address import ClusterAddress, parse_cluster
from synthfx.cluster.options import ClusterOptions
from synthfx.schema import options_of

_HELP = (
    "run the passes as Ray tasks: ray:auto starts a local Ray, ray:HOST:PORT joins a cluster "
    "(--cache on storage every node shares); the result equals a local run"
)


def add_cluster_options(parser: argparse.ArgumentParser, help: str = _HELP) -> None:
    group = parser.add_argument_group("cluster (with --cluster)")
    group.add_argument("--cluster", metavar="ray[:ADDRESS]", help=help)
    add_options(group, options_of(ClusterOptions), ClusterOptions())


def cluster_of(args: argparse.Namespace) -> tuple[ClusterAddress, ClusterOptions] | None:
    """The parsed ``--cluster`` and its task options, None without ``--cluster``."""
    if args.cluster is None:
        return None
    return parse_cluster(args.cluster), ClusterOptions(**option_values(args, ClusterOptions))
