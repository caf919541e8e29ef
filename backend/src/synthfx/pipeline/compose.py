# SPDX-License-Identifier: Apache-2.0
"""From pass results to an output frame: bidirectional blend, mask, alpha, RGBA."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synthfx.blend import blend_passes
from synthfx.blend.detail import restore_detail
from synthfx.blend.source_match import Candidate, candidate_weights, weighted_mix
from synthfx.flow.warp import sample_at
from synthfx.guides import feather_mask
from synthfx.pipeline.inputs import alpha_of, rgb_of
from synthfx.pipeline.options import StylizeOptions
from synthfx.pipeline.passes import entry_nnf, entry_positions, split_entry


@dataclass(frozen=True)
class PassSource:
    """One pass's result at the frame being rendered.

    Attributes:
        entry: the stored pass frame (``passes.make_entry``).
        weight: the forward pass's temporal weight (1 for a lone pass).
        style: (H, W, C) the pass's keyframe style.
        key_frame: (H, W, 3) the pass's keyframe Source colours.
    """

    entry: np.ndarray
    weight: float
    style: np.ndarray
    key_frame: np.ndarray


def blend_sources(
    sources: Sequence[PassSource],
    frame: np.ndarray,
    options: StylizeOptions,
    *,
    masked_passes: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Combines one frame's pass results.

    Args:
        sources: one pass (weight 1) or a forward and a reverse pass, forward first.
        frame: (H, W, 3) Source colours of the frame.
        options: ``carried_key_mixing`` and ``detail_restoration``, else the screening,
            selection smoothing and softness of the error-selected Poisson blend.
        masked_passes: the passes copied only from inside the keys' masks (``mask_mode``
            "before" with a mask): the error blend, since a carried key would bring in what
            lies outside the mask.

    Returns:
        (image (H, W, C), error (H, W)); the error is the passes' per-pixel minimum.
    """
    error = split_entry(sources[0].entry)[1]
    for source in sources[1:]:
        error = np.minimum(error, split_entry(source.entry)[1])
    if options.carried_key_mixing > 0 and not masked_passes:
        pairs = [(c, source.style) for source in sources for c in _candidates(source)]
        candidates = [candidate for candidate, _ in pairs]
        weights = candidate_weights(frame, candidates, options.carried_key_mixing)
        image = weighted_mix(weights, candidates)
        if options.detail_restoration > 0:
            styles = [style for _, style in pairs]
            image = restore_detail(image, candidates, weights, styles, options.detail_restoration)
        return image, error
    if len(sources) == 1:
        return split_entry(sources[0].entry)[0], error
    (forward, error_forward), (reverse, error_reverse) = (split_entry(s.entry) for s in sources)
    weight = sources[0].weight
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
    return image, error


def _candidates(source: PassSource) -> tuple[Candidate, Candidate]:
    """The pass itself (style from its NNF) and its key carried along the positional guide."""
    image = split_entry(source.entry)[0]
    nnf = entry_nnf(source.entry).astype(np.float32)
    positions = entry_positions(source.entry)
    height, width = image.shape[:2]
    x, y = positions[..., 0] * width, positions[..., 1] * height
    # Cubic: bilinear sampling at the chained (fractional) places blurs the key's thin lines
    # (bench/README.md, "Issue 19, cubic carried keys").
    carried = sample_at(source.style, x, y, interpolation="cubic")
    return (
        Candidate(image, source.key_frame, nnf[..., 0], nnf[..., 1]),
        Candidate(carried, source.key_frame, x, y),
    )


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
