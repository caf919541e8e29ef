# SPDX-License-Identifier: Apache-2.0
"""Temporal NNF seeding: a pass frame starts from the previous frame's matches moved along the flow.

Each pass copies from its keyframe, so the key's own NNF is the identity (every pixel matches
itself), and a frame's match carried to the next frame along the flow is a close first guess
there: PatchMatch then refines it instead of rebuilding it from the coarsest level.
"""

from __future__ import annotations

import numpy as np


def identity_nnf(height: int, width: int) -> np.ndarray:
    """The keyframe's NNF: (H, W, 2) int32, pixel (x, y) holds (x, y)."""
    nnf = np.empty((height, width, 2), dtype=np.int32)
    nnf[..., 0] = np.arange(width, dtype=np.int32)[None, :]
    nnf[..., 1] = np.arange(height, dtype=np.int32)[:, None]
    return nnf


def carry_nnf(previous_nnf: np.ndarray, flow_cur_to_prev: np.ndarray) -> np.ndarray:
    """The previous frame's NNF sampled where each current pixel's content was.

    Args:
        previous_nnf: (H, W, 2) int32 NNF of the previous frame (in processing order).
        flow_cur_to_prev: (H, W, 2) float32 flow, ``flow[y, x] = (dx, dy)``: pixel (x, y) now
            was at (x + dx, y + dy) before.

    Returns:
        (H, W, 2) int32: ``previous_nnf`` at the rounded position; positions outside the frame
        take the nearest border pixel's match (as the positional guide replicates its border).
    """
    height, width = previous_nnf.shape[:2]
    xs = np.arange(width, dtype=np.float32)[None, :] + flow_cur_to_prev[..., 0]
    ys = np.arange(height, dtype=np.float32)[:, None] + flow_cur_to_prev[..., 1]
    # Non-finite flow (none expected) would make the index undefined: treat it as no motion.
    xs = np.where(np.isfinite(xs), xs, np.arange(width, dtype=np.float32)[None, :])
    ys = np.where(np.isfinite(ys), ys, np.arange(height, dtype=np.float32)[:, None])
    column = np.clip(np.rint(xs), 0, width - 1).astype(np.intp)
    row = np.clip(np.rint(ys), 0, height - 1).astype(np.intp)
    return np.ascontiguousarray(previous_nnf[row, column], dtype=np.int32)
