# SPDX-License-Identifier: Apache-2.0
"""Histogram matching and colour preservation (Gatys et al. 2017, "Controlling Perceptual
Factors in Neural Style Transfer": keep the content's colours by matching histograms or by
transferring luminance only). Float32 throughout; nothing is clipped.
"""

from __future__ import annotations

import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import LUMA_WEIGHTS

# Quantiles the mapping is built from: fine enough that a matched image's histogram is the
# reference's to well under one 8-bit level, cheap enough to run on every guide of a 4K plate.
QUANTILES = 1024
_LUMA = np.asarray(LUMA_WEIGHTS, dtype=np.float32)
# Below this deviation the result's luma is flat: it takes the plate's mean, not its contrast.
_FLAT_STD = 1e-8


def _quantiles(values: np.ndarray, region: np.ndarray | None) -> np.ndarray:
    chosen = values if region is None else values[region]
    if chosen.size == 0:
        raise InputError("histogram matching needs at least one pixel inside the mask")
    grid = np.linspace(0.0, 1.0, QUANTILES)
    return np.quantile(chosen.astype(np.float64), grid)


def match_histogram(
    image: np.ndarray,
    reference: np.ndarray,
    *,
    image_region: np.ndarray | None = None,
    reference_region: np.ndarray | None = None,
) -> np.ndarray:
    """``image`` remapped, per channel and monotonically, to have ``reference``'s histogram.

    Args:
        image: (H, W) or (H, W, C) float32.
        reference: (H', W') or (H', W', C) float32, the same number of channels (any size).
        image_region: optional (H, W) bool; the mapping is built from these pixels only (and
            applied to every pixel).
        reference_region: optional (H', W') bool; the histogram taken from these pixels only.

    Returns:
        float32 array of ``image``'s shape.
    """
    squeeze = image.ndim == 2
    source = image[..., None] if squeeze else image
    target = reference[..., None] if reference.ndim == 2 else reference
    if source.shape[2] != target.shape[2]:
        raise InputError(
            f"histogram matching needs equal channel counts, got {source.shape[2]} and "
            f"{target.shape[2]}"
        )
    for region, image_of, name in (
        (image_region, source, "image_region"),
        (reference_region, target, "reference_region"),
    ):
        if region is not None and region.shape != image_of.shape[:2]:
            raise InputError(f"{name} is {region.shape}, its image is {image_of.shape[:2]}")
    out = np.empty(source.shape, np.float32)
    for channel in range(source.shape[2]):
        values = source[..., channel]
        from_q = _quantiles(values, image_region)
        to_q = _quantiles(target[..., channel], reference_region)
        out[..., channel] = np.interp(values, from_q, to_q).astype(np.float32)
    return out[..., 0] if squeeze else out


def luma(rgb: np.ndarray) -> np.ndarray:
    """(H, W) Rec. 601 luma of (H, W, 3) RGB."""
    return np.asarray(rgb @ _LUMA, dtype=np.float32)


def preserve_colour(result: np.ndarray, plate: np.ndarray, mode: str) -> np.ndarray:
    """The styled ``result`` given the plate's colours.

    Args:
        result: (H, W, 3) float32 styled RGB.
        plate: (H, W, 3) float32 plate RGB.
        mode: "none" (``result`` as is); "histogram": each channel of the result matched to
            the plate's histogram; "luminance": the plate's chroma with the result's luma,
            first given the plate's luma mean and deviation (Gatys et al. 2017, 4.1; the
            plate's RGB shifted by the luma difference, so hue and chroma are the plate's and
            the light and dark strokes the style's).

    Returns:
        (H, W, 3) float32.
    """
    if mode == "none":
        return result
    if mode == "histogram":
        return match_histogram(result, plate)
    if mode == "luminance":
        styled, original = luma(result), luma(plate)
        spread = float(styled.std())
        gain = float(original.std()) / spread if spread > _FLAT_STD else 0.0
        matched = (styled - float(styled.mean())) * gain + float(original.mean())
        shift = matched - original
        return (plate + shift[..., None]).astype(np.float32)
    raise InputError(f"preserve_colour must be 'none', 'histogram' or 'luminance', got {mode!r}")
