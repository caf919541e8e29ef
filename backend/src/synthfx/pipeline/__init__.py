# SPDX-License-Identifier: Apache-2.0
"""The video pipeline: keyframe segment planning, synthesis passes, blending, the Stylizer."""

from __future__ import annotations

from synthfx.pipeline.inputs import MemoryFrames
from synthfx.pipeline.options import StylizeOptions
from synthfx.pipeline.painterly import painterly, paper_texture
from synthfx.pipeline.planning import FramePlan, Pass, Plan, plan_segments
from synthfx.pipeline.stylizer import ProgressEvent, RenderResult, RunSummary, Stylizer

__all__ = [
    "FramePlan",
    "MemoryFrames",
    "Pass",
    "Plan",
    "ProgressEvent",
    "RenderResult",
    "RunSummary",
    "StylizeOptions",
    "Stylizer",
    "painterly",
    "paper_texture",
    "plan_segments",
]
