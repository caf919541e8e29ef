# SPDX-License-Identifier: Apache-2.0
"""The patch method: the plate painted with the reference's own strokes by guided synthesis.

For each reference, the engine copies patches of the painting (the style) onto the plate's
layout, guided by pairs of the painting against the plate remapped to the painting's histogram
(so a dark painting can style a bright plate: its dark strokes land on the plate's darkest
parts, its lightest on the lightest): colour (each channel remapped), luminance (remapped on
its own, for paintings whose colours have nothing to do with the plate's), and the classic
edges of the remapped luminance. The
keyframe engine parameters' high uniformity spreads every part of the painting over the frame
instead of repeating its few best-matching patches. Several references are synthesized one by
one and blended by their weights, keeping contrast (``blend_references``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from synthfx.engine import SynthesisParams, synthesize
from synthfx.guides import edge_guide
from synthfx.keyframe.colour import luma, match_histogram
from synthfx.progress import engine_progress

# Below this deviation a channel is treated as flat (it is not rescaled when blending).
_FLAT_STD = 1e-8
# A reference pixel whose alpha is below this is not part of the painting: never copied.
OPAQUE = 0.5


def patch_guides(
    reference: np.ndarray,
    plate: np.ndarray,
    *,
    colour_weight: float,
    luminance_weight: float,
    edge_weight: float,
    plate_region: np.ndarray | None = None,
    reference_region: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The engine's (source, target, weight) guide pairs of one reference.

    Args:
        reference: (H_s, W_s, 3) float32 painting.
        plate: (H, W, 3) float32 plate.
        colour_weight, luminance_weight, edge_weight: the pairs' weights (a pair of weight 0
            is left out).
        plate_region: optional (H, W) bool: where the plate's histogram is taken (the mask).
        reference_region: optional (H_s, W_s) bool: the painting's opaque pixels.

    Returns:
        Colour pair (3 channels each), luminance pair and edge pair (1 channel each), those
        of weight > 0.
    """
    regions = {"image_region": plate_region, "reference_region": reference_region}
    source_luma = luma(reference)
    target_luma = match_histogram(luma(plate), source_luma, **regions)
    target_colour = match_histogram(plate, reference, **regions) if colour_weight > 0 else plate
    pairs = [
        (reference, target_colour, colour_weight),
        (source_luma[..., None], target_luma[..., None], luminance_weight),
        (edge_guide(source_luma), edge_guide(target_luma), edge_weight),
    ]
    return [pair for pair in pairs if pair[2] > 0]


def blend_references(images: Sequence[np.ndarray], shares: Sequence[float]) -> np.ndarray:
    """Weighted blend of several styled images that keeps their contrast.

    A plain weighted mean of differently styled images washes their strokes out; as in
    histogram-preserving blending (``synthfx.blend.histogram``), each image is standardised per
    channel, the weighted sum standardised again with its own statistics (the images are
    correlated: the same plate) and given the shares' mix of the images' means and deviations.

    Args:
        images: (H, W, C) float32 each.
        shares: their weights, summing to 1.

    Returns:
        (H, W, C) float32; the image itself for one image.
    """
    if len(images) == 1:
        return images[0]
    total = np.zeros(images[0].shape, np.float64)
    target_mean = np.zeros(images[0].shape[2], np.float64)
    target_std = np.zeros(images[0].shape[2], np.float64)
    for image, share in zip(images, shares, strict=True):
        mean = image.mean(axis=(0, 1), dtype=np.float64)
        std = image.std(axis=(0, 1), dtype=np.float64)
        scale = np.where(std > _FLAT_STD, 1.0 / np.maximum(std, _FLAT_STD), 0.0)
        total += share * (image - mean) * scale
        target_mean += share * mean
        target_std += share * std
    own_std = total.std(axis=(0, 1))
    total *= np.where(own_std > _FLAT_STD, target_std / np.maximum(own_std, _FLAT_STD), 0.0)
    return (total + target_mean).astype(np.float32)


def patch_keyframe(
    plate: np.ndarray,
    references: Sequence[tuple[np.ndarray, np.ndarray | None]],
    shares: Sequence[float],
    *,
    params: SynthesisParams,
    colour_weight: float,
    luminance_weight: float,
    edge_weight: float,
    region: np.ndarray | None = None,
    segmentations: Sequence[tuple[np.ndarray, np.ndarray]] = (),
    segmentation_weight: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
    report: Callable[[int, float | None], None] | None = None,
) -> np.ndarray:
    """The plate styled from its references by guided patch synthesis.

    Args:
        plate: (H, W, 3) float32.
        references: (RGB (H_i, W_i, 3), alpha (H_i, W_i) or None) float32 of each painting.
        shares: each reference's weight, summing to 1.
        params: engine parameters.
        colour_weight, luminance_weight, edge_weight: guide weights.
        region: optional (H, W) bool: where the plate is styled (its histogram taken there).
        segmentations: empty, or per reference (its segmentation (H_i, W_i, K), the plate's
            (H, W, K)): a guide pair of ``segmentation_weight`` that keeps each region's
            strokes in the matching region of the plate.
        should_stop: true once the work must stop (``CancelledError`` is raised).
        report: gets (references done, fraction of the current one or None when one is done).

    Returns:
        (H, W, 3) float32.
    """
    styled = []
    for index, (rgb, alpha) in enumerate(references):
        opaque = None if alpha is None else alpha >= OPAQUE

        def fraction(value: float, index: int = index) -> None:
            if report is not None:
                report(index, value)

        what = f"the synthesis from reference {index + 1}"
        guides = patch_guides(
            rgb,
            plate,
            colour_weight=colour_weight,
            luminance_weight=luminance_weight,
            edge_weight=edge_weight,
            plate_region=region,
            reference_region=opaque,
        )
        if segmentations and segmentation_weight > 0:
            guides.append((*segmentations[index], segmentation_weight))
        result = synthesize(
            rgb,
            guides,
            source_mask=None if opaque is None else opaque.astype(np.float32),
            params=params,
            progress=engine_progress(should_stop, fraction, what),
        )
        styled.append(np.asarray(result.image, np.float32))
        if report is not None:
            report(index + 1, None)
    return blend_references(styled, shares)
