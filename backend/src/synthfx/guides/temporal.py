# SPDX-License-Identifier: Apache-2.0
"""Temporal guide: the previous stylized frame brought into the current frame along the flow.

Its source-side counterpart is the style exemplar itself: matching it asks for patches whose
style agrees with what the previous frame produced at the same place, which suppresses flicker.
"""

from __future__ import annotations

import numpy as np

from synthfx.flow.warp import backward_warp
from synthfx.guides._validate import as_flow, as_image


def warp_previous_style(prev_stylized: np.ndarray, flow_cur_to_prev: np.ndarray) -> np.ndarray:
    """Warps the previous stylized frame onto the current frame.

    The flow must go from the CURRENT frame to the previous one: ``out[y, x] =
    prev[y + dy, x + dx]`` samples, for each current pixel, where its content was before.

    Args:
        prev_stylized: (H, W) or (H, W, C) float stylized previous frame (processing order).
        flow_cur_to_prev: (H, W, 2) float32 flow from the current frame to the previous one.

    Returns:
        (H, W, C) float32, aligned with the current frame (bilinear, borders replicated).
    """
    style = as_image(prev_stylized, "prev_stylized")
    flow = as_flow(flow_cur_to_prev, style.shape[:2], "flow_cur_to_prev")
    return backward_warp(style, flow).reshape(style.shape)
