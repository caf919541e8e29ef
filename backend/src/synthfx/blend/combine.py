# SPDX-License-Identifier: Apache-2.0
"""Blending the forward and reverse passes of a sequence (Jamriška et al. 2019, section 3.3).

For each frame t between a forward keyframe and a reverse keyframe:

1. a selection mask picks, per pixel, the pass with the lower synthesis error at frame t;
2. the colours are blended histogram-preservingly with the temporal weight (1 at the forward
   key, 0 at the reverse key), matched to the statistics of the minimum-error composite: ``u0``;
3. the gradients are taken from the selected pass per pixel (mask-weighted);
4. a screened Poisson solve combines the selected gradients with ``u0``'s colours, hiding the
   mask's seams and keeping the sharpness of the better pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthfx.blend._validate import as_float_image, same_shape
from synthfx.blend.histogram import histogram_blend
from synthfx.blend.poisson import forward_gradients, screened_poisson
from synthfx.blend.select import select_passes
from synthfx.errors import InputError

# Screening weight of the Poisson solve, in 1/pixel^2: colour disagreements between the
# gradients and u0 decay over 1 / sqrt(0.05) ~ 4.5 pixels, enough to hide the selection seams
# while the histogram blend keeps setting the colours at larger scales.
DEFAULT_SCREENING = 0.05


def blend_passes(
    forward: np.ndarray,
    reverse: np.ndarray,
    error_forward: np.ndarray,
    error_reverse: np.ndarray,
    weight_forward: float,
    *,
    screening: float = DEFAULT_SCREENING,
    smoothing_sigma: float = 0.0,
    softness: float = 0.0,
    workers: int | None = None,
) -> np.ndarray:
    """Blends the two passes of one frame.

    Args:
        forward: (H, W, C) float frame t synthesised from the earlier (forward) keyframe.
        reverse: (H, W, C) float frame t synthesised from the later (reverse) keyframe.
        error_forward: (H, W) float synthesis error of ``forward`` (frame t).
        error_reverse: (H, W) float synthesis error of ``reverse`` (frame t).
        weight_forward: temporal position in [0, 1]: 1 at the forward key, 0 at the reverse key.
        screening: Poisson screening weight lambda (see :func:`screened_poisson`).
        smoothing_sigma: Gaussian softening of the selection mask, in pixels.
        softness: 0 selects the lower-error pass per pixel; above 0 passes with similar
            errors are mixed (see :func:`synthfx.blend.select.selection_mask`).
        workers: threads for the DCTs.

    Returns:
        (H, W, C) float32 blended frame (not clipped).
    """
    forward_image = as_float_image(forward, "forward")
    reverse_image = as_float_image(reverse, "reverse")
    same_shape(forward_image, reverse_image, ("forward", "reverse"))
    if not 0.0 <= weight_forward <= 1.0:
        raise InputError(f"weight_forward must lie in [0, 1], got {weight_forward}")

    mask, composite = select_passes(
        forward_image, reverse_image, error_forward, error_reverse, smoothing_sigma, softness
    )
    colours = histogram_blend(forward_image, reverse_image, weight_forward, reference=composite)

    weight = mask if forward_image.ndim == 2 else mask[..., None]
    gx_forward, gy_forward = forward_gradients(forward_image)
    gx, gy = forward_gradients(reverse_image)
    # g = m * g_forward + (1 - m) * g_reverse, accumulated in place.
    gx *= 1.0 - weight
    gx += weight * gx_forward
    gy *= 1.0 - weight
    gy += weight * gy_forward
    del gx_forward, gy_forward
    return screened_poisson(gx, gy, colours, screening, workers)


def temporal_weights(frame_count: int) -> np.ndarray:
    """Weight of the forward pass at each frame of a run from one keyframe to the next.

    Args:
        frame_count: frames from the forward key to the reverse key, both included (>= 2).

    Returns:
        (frame_count,) float64, ``1 - t / (frame_count - 1)``: 1 at the forward key, 0 at the
        reverse key.
    """
    if frame_count < 2:
        raise InputError(f"a run between two keyframes needs >= 2 frames, got {frame_count}")
    return 1.0 - np.arange(frame_count) / (frame_count - 1)


def blend_sequence(
    forward_frames: Sequence[np.ndarray],
    reverse_frames: Sequence[np.ndarray],
    errors_forward: Sequence[np.ndarray],
    errors_reverse: Sequence[np.ndarray],
    *,
    keep_keys: bool = True,
    screening: float = DEFAULT_SCREENING,
    smoothing_sigma: float = 0.0,
    workers: int | None = None,
) -> list[np.ndarray]:
    """Blends a whole run between two keyframes, frame t with the errors of frame t.

    Args:
        forward_frames: N frames (H, W, C) of the forward pass, index 0 = the forward keyframe.
        reverse_frames: the N frames of the reverse pass for the same frame indices (index
            N - 1 = the reverse keyframe).
        errors_forward: N (H, W) error maps, ``errors_forward[t]`` belonging to
            ``forward_frames[t]``.
        errors_reverse: N (H, W) error maps of the reverse pass, same indexing.
        keep_keys: return the keyframes' own passes unchanged at t = 0 and t = N - 1.
        screening: Poisson screening weight.
        smoothing_sigma: Gaussian softening of the selection masks.
        workers: threads for the DCTs.

    Returns:
        N float32 (H, W, C) frames.
    """
    count = len(forward_frames)
    lengths = {len(reverse_frames), len(errors_forward), len(errors_reverse)}
    if lengths != {count}:
        raise InputError(
            f"forward ({count}), reverse ({len(reverse_frames)}) frames and forward "
            f"({len(errors_forward)}), reverse ({len(errors_reverse)}) errors must be as many"
        )
    weights = temporal_weights(count)
    blended = []
    for index, weight in enumerate(weights):
        if keep_keys and index == 0:
            blended.append(as_float_image(forward_frames[0], "forward_frames[0]").copy())
        elif keep_keys and index == count - 1:
            blended.append(as_float_image(reverse_frames[-1], "reverse_frames[-1]").copy())
        else:
            blended.append(
                blend_passes(
                    forward_frames[index],
                    reverse_frames[index],
                    errors_forward[index],
                    errors_reverse[index],
                    float(weight),
                    screening=screening,
                    smoothing_sigma=smoothing_sigma,
                    workers=workers,
                )
            )
    return blended
