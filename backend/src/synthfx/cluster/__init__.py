# SPDX-License-Identifier: Apache-2.0
"""Scale out on Ray (``--cluster``): a shot's passes run as tasks on many nodes, sharing the
content-addressed cache, and the result equals the local run bit for bit.

Ray is optional (``pip install 'synthfx[ray]'``) and imported only when a job asks for it.
"""

from synthfx.cluster.address import ClusterAddress, parse_cluster
from synthfx.cluster.options import ClusterOptions
from synthfx.cluster.passes import ClusterPasses
from synthfx.cluster.queue import ClusterError
from synthfx.cluster.runtime import MISSING_RAY, connected, import_ray
from synthfx.cluster.shot import ShotSpec, shared_path
from synthfx.cluster.stylize import queue_passes, stylize_on_cluster

__all__ = [
    "MISSING_RAY",
    "ClusterAddress",
    "ClusterError",
    "ClusterOptions",
    "ClusterPasses",
    "ShotSpec",
    "connected",
    "import_ray",
    "parse_cluster",
    "queue_passes",
    "shared_path",
    "stylize_on_cluster",
]
