# SPDX-License-Identifier: Apache-2.0
"""From pass results to an output frame: bidirectional blend, mask, alpha, RGBA."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthfx.blend import blend_passes
from synthfx.guides import feather_mask
from synthfx.pipeline.inputs import alpha_of, rgb_of
from synthfx.pipeline.options import StylizeOptions


def blend_sources(
    sources: Sequence[tuple[np.ndarray, np.ndarray, float]], options: StylizeOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Combines one frame's pass results.

    Args:
        sources: ``(image, error, weight)`` per pass; one pass (weight 1) or a forward and a
            reverse pass, forward first, weight = the forward pass's temporal weight.
        options: screening, selection smoothing and softness of the blend.

    Returns:
        (image (H, W, C), error (H, W)); with two passes the error is their per-pixel minimum,
        the error of the pass the selection prefers.
    """
    if len(sources) == 1:
        image, error, _ = sources[0]
        return image, error
    (forward, error_forward, weight), (reverse, error_reverse, _) = sources
    image = blend_passes(
        forward,
        reverse,
        error_forward,
        error_reverse,
        weight,
        screening=options.screening,
        smoothing_sigma=options.selection_smoothing,
        softness=options.selection_softness,
    )
    return image, np.minimum(error_forward, error_reverse)


def finish_frame(
    stylized: np.ndarray, frame: np.ndarray, mask: np.ndarray | None, options: StylizeOptions
) -> np.ndarray:
    """The (H, W, 4) float32 RGBA output of one frame.

    The style is taken as premultiplied (the EXR and compositing convention): its alpha, when it
    has one, is the synthesised alpha channel. The mask (feathered) scales colour and alpha, or
    with ``mask_output="over-source"`` the result is composited over the source frame.
    """
    rgb = rgb_of(stylized)
    style_alpha = alpha_of(stylized)
    alpha = (
        np.ones(rgb.shape[:2], np.float32) if style_alpha is None else np.clip(style_alpha, 0, 1)
    )
    cover = None if mask is None else np.clip(feather_mask(mask, options.feather), 0.0, 1.0)
    if cover is not None:
        rgb = rgb * cover[..., None]
        alpha = alpha * cover
    if options.mask_output == "over-source" and (cover is not None or style_alpha is not None):
        # "over": both premultiplied.
        source_alpha = alpha_of(frame)
        under = np.ones_like(alpha) if source_alpha is None else source_alpha
        rgb = rgb + rgb_of(frame) * (1.0 - alpha)[..., None]
        alpha = alpha + under * (1.0 - alpha)
    return np.ascontiguousarray(np.dstack([rgb, alpha]), dtype=np.float32)
