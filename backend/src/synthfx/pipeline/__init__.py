# SPDX-License-Identifier: Apache-2.0
"""Video pipeline helpers: keyframe segment planning and the painterly keyframe filter."""

from __future__ import annotations

from synthfx.pipeline.painterly import painterly, paper_texture
from synthfx.pipeline.planning import FramePlan, Pass, Plan, plan_segments

__all__ = ["FramePlan", "Pass", "Plan", "painterly", "paper_texture", "plan_segments"]
