# SPDX-License-Identifier: Apache-2.0
"""Histogram-preserving blending (Heitz & Neyret 2018), as used by Jamriška et al. 2019.

A linear blend ``w A + (1 - w) B`` of two decorrelated textures lowers their contrast (its
deviation is ``sqrt(w^2 + (1 - w)^2)`` times theirs), which reads as a washed-out, ghosted
middle frame. Heitz & Neyret divide the centred blend by that factor:

    out = mu + (w (A - mu_A) + (1 - w) (B - mu_B)) / sqrt(w^2 + (1 - w)^2)

per channel. As in Ezsynth's implementation of the paper's blend, each input is first
standardised (its own mean and deviation per channel), the blend is done on the standardised
values, and the result is given the mean and deviation of a reference (the per-pixel
minimum-error composite of the two passes); without a reference the statistics are interpolated
between A's and B's. Unlike Ezsynth, the reference's statistics are matched to the blend's
actual statistics, not to the unit deviation the formula assumes for decorrelated inputs: two
passes over the same frame are correlated and the formula alone over-sharpens them by up to
sqrt(2). Everything stays float; nothing is clipped.
"""

from __future__ import annotations

import cv2
import numpy as np

from synthfx.blend._validate import as_float_image, same_shape
from synthfx.errors import InputError

# Below this deviation a channel is treated as constant (its standardised values are 0).
_FLAT_STD = 1e-8


def _channel_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and deviation of an (H, W, C) float32 image, float64 (C,) each."""
    if image.shape[2] <= 4:
        # OpenCV accumulates in double in one pass; numpy's axis-0 reductions over an
        # (H*W, C) view are several times slower.
        mean, std = cv2.meanStdDev(np.ascontiguousarray(image))
        return mean[:, 0], std[:, 0]
    flat = image.reshape(-1, image.shape[2])
    return flat.mean(axis=0, dtype=np.float64), flat.std(axis=0, dtype=np.float64)


def _standardised(image: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(image - mean) / std per channel, in float32; constant channels become 0."""
    scale = np.where(std > _FLAT_STD, 1.0 / np.maximum(std, _FLAT_STD), 0.0)
    return (image - mean.astype(np.float32)) * scale.astype(np.float32)


def _as_weight(weight: float | np.ndarray, shape: tuple[int, int]) -> float | np.ndarray:
    """A weight in [0, 1]: a float, or an (H, W, 1) float32 map for a per-pixel weight."""
    values = np.asarray(weight, dtype=np.float32)
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise InputError(f"weight must lie in [0, 1], got [{values.min()}, {values.max()}]")
    if values.ndim == 0:
        return float(values)
    if values.shape == shape:
        return values[..., None]
    if values.shape != (*shape, 1):
        raise InputError(f"weight must be a scalar or {shape}, got {values.shape}")
    return values


def histogram_blend(
    a: np.ndarray,
    b: np.ndarray,
    weight_a: float | np.ndarray,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """Blends two images while keeping their contrast (histogram-preserving blending).

    Args:
        a: (H, W) or (H, W, C) float image.
        b: same shape.
        weight_a: weight of ``a`` in [0, 1], a scalar or an (H, W) map; ``b`` gets 1 - weight.
        reference: optional image (same shape) whose per-channel mean and deviation the result
            takes exactly (the blend is re-standardised with its own statistics first); if None
            the plain Heitz-Neyret result is given the ``w``-interpolated mean and deviation of
            ``a`` and ``b`` (with a weight map, its mean weight is used).

    Returns:
        float32 array of ``a``'s shape; with weight 1 and no reference it equals ``a``.
    """
    first = as_float_image(a, "a")
    second = as_float_image(b, "b")
    same_shape(first, second, ("a", "b"))
    squeeze = first.ndim == 2
    if squeeze:
        first, second = first[..., None], second[..., None]
    weight = _as_weight(weight_a, first.shape[:2])

    mean_a, std_a = _channel_stats(first)
    mean_b, std_b = _channel_stats(second)
    blended = _standardised(first, mean_a, std_a)
    blended *= weight
    blended += (1.0 - weight) * _standardised(second, mean_b, std_b)
    blended /= np.sqrt(weight**2 + (1.0 - weight) ** 2)

    if reference is None:
        w_mean = float(np.mean(weight))
        target_mean = w_mean * mean_a + (1.0 - w_mean) * mean_b
        target_std = w_mean * std_a + (1.0 - w_mean) * std_b
    else:
        ref = as_float_image(reference, "reference")
        ref = ref[..., None] if ref.ndim == 2 else ref
        same_shape(ref, first, ("reference", "a"))
        target_mean, target_std = _channel_stats(ref)
        # The 1/sqrt(w^2 + (1-w)^2) factor restores unit deviation only for decorrelated inputs;
        # two passes over the same frame are strongly correlated, so re-standardise with the
        # blend's actual statistics before taking the reference's.
        blended = _standardised(blended, *_channel_stats(blended))
    blended *= target_std.astype(np.float32)
    blended += target_mean.astype(np.float32)
    return blended[..., 0] if squeeze else blended
