# SPDX-License-Identifier: Apache-2.0
"""What every optical flow estimator of synthfx looks like, and the input checks they share."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from synthfx.errors import InputError


class FlowEstimator(Protocol):
    """Dense optical flow between two frames.

    Attributes:
        spec: The string ``make_flow_estimator`` builds this estimator from.
        fingerprint: Everything that determines the result (method, parameters, weights
            digest, library version); the flow cache keys on it.
    """

    spec: str
    fingerprint: str

    def compute(self, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        """Flow from A to B.

        Args:
            frame_a: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) float32 in [0, 1]; alpha ignored.
            frame_b: Same shape as ``frame_a``.

        Returns:
            (H, W, 2) float32 ``flow_ab`` in the convention of ``synthfx.flow.warp``.
        """
        ...


def check_frame_pair(frame_a: np.ndarray, frame_b: np.ndarray) -> None:
    """Raises InputError unless both frames are (H, W) or (H, W, 1|3|4) of one shape."""
    for name, frame in (("frame A", frame_a), ("frame B", frame_b)):
        if not isinstance(frame, np.ndarray):
            raise InputError(f"{name} must be a numpy array, got {type(frame).__name__}")
        if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (1, 3, 4)):
            raise InputError(f"{name} must be (H, W) or (H, W, 1|3|4), got {frame.shape}")
    if frame_a.shape != frame_b.shape:
        raise InputError(f"frames differ in shape: A is {frame_a.shape}, B is {frame_b.shape}")


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 clipped to [0, 1]: grey replicated, alpha dropped, NaN as 0."""
    array = np.nan_to_num(np.asarray(frame, dtype=np.float32), nan=0.0)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.clip(array[..., :3], 0.0, 1.0)
