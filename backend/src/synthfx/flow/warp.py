# SPDX-License-Identifier: Apache-2.0
"""Backward warping along optical flow.

Convention used across synthfx: ``flow_ab[y, x] = (dx, dy)`` means pixel ``(x, y)`` of frame A
is seen at ``(x + dx, y + dy)`` in frame B (the forward flow from A to B, as OpenCV's DIS and
RAFT return it).
"""

from __future__ import annotations

import cv2
import numpy as np

from synthfx.errors import InputError


def sample_coordinates(flow_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel of A lands in B.

    Args:
        flow_ab: (H, W, 2) float32 flow from A to B.

    Returns:
        (map_x, map_y), each (H, W) float32.
    """
    height, width = flow_ab.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    return grid_x + flow_ab[..., 0], grid_y + flow_ab[..., 1]


# Keys' cubic (OpenCV's, a = -0.75) keeps thin lines that bilinear sampling at fractional
# places halves; it is clamped to the four neighbours' range, so it never overshoots.
INTERPOLATIONS = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}


def sample_at(
    image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, interpolation: str = "linear"
) -> np.ndarray:
    """``image`` sampled at the places (map_x, map_y), in pixels, borders replicated.

    Args:
        image: (H_b, W_b) or (H_b, W_b, C) float32 image, any channel count.
        map_x: (H, W) float32 x of each output pixel in ``image``.
        map_y: (H, W) float32 y, likewise.
        interpolation: a key of :data:`INTERPOLATIONS`.

    Returns:
        (H, W) or (H, W, C) float32.
    """
    if interpolation not in INTERPOLATIONS:
        raise InputError(
            f"unknown interpolation {interpolation!r} (choose from {', '.join(INTERPOLATIONS)})"
        )
    src = np.ascontiguousarray(image, dtype=np.float32)
    map_x = np.asarray(map_x, dtype=np.float32)
    map_y = np.asarray(map_y, dtype=np.float32)
    out = _remap(src, map_x, map_y, INTERPOLATIONS[interpolation])
    if interpolation == "linear":
        return out
    # The 2x2 neighbours' range at each place (replicated borders, as the remap's).
    padded = np.pad(src, ((0, 1), (0, 1)) + ((0, 0),) * (src.ndim - 2), mode="edge")
    a, b, c, d = padded[:-1, :-1], padded[:-1, 1:], padded[1:, :-1], padded[1:, 1:]
    x0 = np.clip(np.floor(np.nan_to_num(map_x)), 0, src.shape[1] - 1).astype(np.intp)
    y0 = np.clip(np.floor(np.nan_to_num(map_y)), 0, src.shape[0] - 1).astype(np.intp)
    low = np.minimum(np.minimum(a, b), np.minimum(c, d))[y0, x0]
    high = np.maximum(np.maximum(a, b), np.maximum(c, d))[y0, x0]
    return np.clip(out, low, high)


def _remap(src: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, mode: int) -> np.ndarray:
    channels = 1 if src.ndim == 2 else src.shape[2]
    if channels <= 4:
        out = cv2.remap(src, map_x, map_y, mode, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(map_x.shape + src.shape[2:])
    # cv2.remap handles at most 4 channels.
    parts = [
        cv2.remap(
            np.ascontiguousarray(src[..., c]), map_x, map_y, mode, borderMode=cv2.BORDER_REPLICATE
        )
        for c in range(channels)
    ]
    return np.stack(parts, axis=-1)


def backward_warp(image_b: np.ndarray, flow_ab: np.ndarray) -> np.ndarray:
    """Brings frame B into frame A's pixel grid: ``out[y, x] = B[y + dy, x + dx]``.

    Args:
        image_b: (H, W) or (H, W, C) float32 image in frame B.
        flow_ab: (H, W, 2) float32 flow from A to B.

    Returns:
        Image of B's shape, aligned with A; bilinear, borders replicated.
    """
    return sample_at(image_b, *sample_coordinates(flow_ab.astype(np.float32, copy=False)))
