# SPDX-License-Identifier: Apache-2.0
"""Optical flow: OpenCV DIS, RAFT-small (torch), a content-addressed cache, backward warping.

Flow convention (see ``warp``): ``flow_ab[y, x] = (dx, dy)`` means pixel (x, y) of frame A is at
(x + dx, y + dy) in frame B. ``RaftFlow`` is imported lazily so that ``import synthfx.flow``
does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthfx.flow.base import FlowEstimator
from synthfx.flow.cache import cached_flow, flow_cache_key
from synthfx.flow.dis import DIS_PRESETS, DisFlow
from synthfx.flow.factory import DEFAULT_FLOW, make_flow_estimator
from synthfx.flow.warp import backward_warp

if TYPE_CHECKING:
    from synthfx.flow.raft import RaftFlow

__all__ = [
    "DEFAULT_FLOW",
    "DIS_PRESETS",
    "DisFlow",
    "FlowEstimator",
    "RaftFlow",
    "backward_warp",
    "cached_flow",
    "flow_cache_key",
    "make_flow_estimator",
]


def __getattr__(name: str) -> Any:
    if name == "RaftFlow":
        from synthfx.flow.raft import RaftFlow

        return RaftFlow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
