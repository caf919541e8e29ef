# SPDX-License-Identifier: Apache-2.0
"""Giving a mixed frame back the fine detail of the keyframes its look came from.

Every candidate of a frame is a resampling of a keyframe's style (averaged votes of overlapping
patches, a cubic sample at fractional places), and the mix averages candidates whose thin lines
sit a little apart: both lower the contrast of lines and texture. The mix's high band (the frame
minus its Gaussian blur) is scaled, per pixel, until its local energy matches the keyframes' own
at the places the candidates took their look from. Where the candidates disagree (a line in two
places) the gain falls off, since sharpening would draw both; the result is clamped to the
candidates' range around each pixel, so there is no halo and no value the candidates lack.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from synthfx.blend.source_match import Candidate
from synthfx.errors import InputError
from synthfx.flow.warp import sample_at

# All measured with bench/quality.py (bench/README.md, "Issue 19, detail restoration").
DEFAULT_DETAIL = 2.0
DETAIL_SIGMA = 1.5  # Gaussian deviation (pixels) of the band split and of the local energies
DISAGREEMENT_WEIGHT = 4.0  # how fast the gain falls where the candidates differ
MAX_GAIN = 4.0
RANGE_WINDOW = 5  # pixels: the clamp's neighbourhood of the candidates' values
_EPSILON = 1e-6  # energy floor: flat areas keep gain 1


def _blur(image: np.ndarray) -> np.ndarray:
    # OpenCV drops a trailing channel axis of 1: keep the input's shape.
    return np.asarray(cv2.GaussianBlur(image, (0, 0), DETAIL_SIGMA)).reshape(image.shape)


def _channels(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image, np.float32)
    return array[..., None] if array.ndim == 2 else array


def _mean_square(array: np.ndarray) -> np.ndarray:
    """(H, W) mean over channels of the squares of (H, W, C) ``array``."""
    total = np.square(array[..., 0])
    for channel in range(1, array.shape[2]):
        total += np.square(array[..., channel])
    return total / np.float32(array.shape[2])


def detail_energy(image: np.ndarray) -> np.ndarray:
    """Local mean (over ``DETAIL_SIGMA``) of the squared high band, over channels: (H, W)."""
    array = _channels(image)
    return _blur(_mean_square(array - _blur(array)))


def restore_detail(
    mixed: np.ndarray,
    candidates: Sequence[Candidate],
    weights: np.ndarray,
    key_styles: Sequence[np.ndarray],
    strength: float = DEFAULT_DETAIL,
) -> np.ndarray:
    """The mix with its high band lifted towards the keyframes' local detail energy.

    Args:
        mixed: (H, W, C) float32, the candidates mixed by ``weights``.
        candidates: the mixed candidates; their source maps say where in its key each look
            came from.
        weights: (K, H, W) per-pixel weights of the K candidates, summing to 1.
        key_styles: per candidate, the keyframe style (H', W', C) it came from; candidates of
            one key may pass the same array (its energy is then computed once).
        strength: >= 0. 0 returns ``mixed``; 1 lifts the band to the keys' energy where the
            candidates agree; higher multiplies the lift (limited by the clamp).

    Returns:
        (H, W, C) float32.
    """
    if not (np.isfinite(strength) and strength >= 0):
        raise InputError(f"detail restoration must be >= 0, got {strength}")
    if len(key_styles) != len(candidates) or weights.shape[0] != len(candidates):
        raise InputError(
            f"restore_detail: {len(candidates)} candidates, {len(key_styles)} key styles and "
            f"{weights.shape[0]} weight maps must be as many"
        )
    if strength == 0 or not candidates:
        return mixed
    image = _channels(mixed)
    energies: dict[int, np.ndarray] = {}
    target = np.zeros(image.shape[:2], np.float32)  # the keys' energy where the looks came from
    spread = np.zeros(image.shape[:2], np.float32)  # the candidates' disagreement with the mix
    low, top = _channels(candidates[0].image).copy(), _channels(candidates[0].image).copy()
    for weight, candidate, style in zip(
        weights.astype(np.float32), candidates, key_styles, strict=True
    ):
        if id(style) not in energies:
            energies[id(style)] = detail_energy(style)
        target += weight * sample_at(energies[id(style)], candidate.source_x, candidate.source_y)
        values = _channels(candidate.image)
        spread += weight * _mean_square(values - image)
        np.minimum(low, values, out=low)
        np.maximum(top, values, out=top)
    base = _blur(image)
    high = image - base
    present = _blur(_mean_square(high))
    gain = np.clip(np.sqrt((target + _EPSILON) / (present + _EPSILON)), 1.0, MAX_GAIN)
    agreement = target / (target + DISAGREEMENT_WEIGHT * _blur(spread) + 1e-12)
    gain = 1.0 + np.float32(strength) * (gain - 1.0) * agreement
    restored = base + gain[..., None] * high
    window = np.ones((RANGE_WINDOW, RANGE_WINDOW), np.uint8)
    low = cv2.erode(low, window).reshape(image.shape)
    top = cv2.dilate(top, window).reshape(image.shape)
    restored = np.clip(restored, low, top)
    return restored.reshape(np.shape(mixed)).astype(np.float32)
