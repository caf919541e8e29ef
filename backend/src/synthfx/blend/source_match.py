# SPDX-License-Identifier: Apache-2.0
"""Mixing a frame's candidates by how well each one's source content matches the frame.

A candidate is a stylized image of frame t with, per pixel, the keyframe and the place in it
its style came from: a synthesis pass (its NNF) or the keyframe's style carried along the flow
(the positional guide). A style follows content, so a candidate is trusted where the key's
Source colours at its source place match frame t's around the pixel. The same measure for every
candidate makes passes from different keys and carried keys comparable, which the engine's own
errors (different guides, different weights) are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.flow.warp import sample_at

# Gaussian deviation (pixels) of the colour match around each pixel; mixing softness default.
# Both measured with bench/quality.py (bench/README.md, "Issue 19, carried keys").
MATCH_SIGMA = 1.0
DEFAULT_MIXING = 0.5


@dataclass(frozen=True)
class Candidate:
    """One stylized image of frame t and where its style came from.

    Attributes:
        image: (H, W, C) float32 stylized frame.
        key_frame: (H, W, 3) float32 Source frame of the keyframe the style came from.
        source_x: (H, W) float32 x in the keyframe (pixels) of each pixel's style.
        source_y: (H, W) float32 y, likewise.
    """

    image: np.ndarray
    key_frame: np.ndarray
    source_x: np.ndarray
    source_y: np.ndarray


def source_colour_error(
    frame: np.ndarray, candidate: Candidate, sigma: float = MATCH_SIGMA
) -> np.ndarray:
    """Mean squared RGB difference between ``frame`` and the key's Source frame at the
    candidate's source places, Gaussian-weighted over ``sigma`` pixels: (H, W) float32."""
    seen = sample_at(candidate.key_frame, candidate.source_x, candidate.source_y)
    difference = np.asarray(
        np.mean((np.asarray(frame, np.float32) - seen) ** 2, axis=2, dtype=np.float32)
    )
    if sigma <= 0:
        return difference
    return np.asarray(cv2.GaussianBlur(difference, (0, 0), sigma))


def candidate_weights(
    frame: np.ndarray, candidates: Sequence[Candidate], softness: float = DEFAULT_MIXING
) -> np.ndarray:
    """Per-pixel weights of the candidates by their source colour match: (K, H, W), sum 1.

    Args:
        frame: (H, W, 3) float32 Source frame t.
        candidates: at least one, images of the same shape.
        softness: > 0. A candidate's weight is ``exp(-(e - e_min) / (softness * e_mean))`` with
            e its :func:`source_colour_error` and e_min, e_mean the pixel's lowest and mean
            error: lower keeps the best match more purely (sharper), higher mixes more.
    """
    if not candidates:
        raise InputError("mix_candidates needs at least one candidate")
    if not (np.isfinite(softness) and softness > 0):
        raise InputError(f"mixing softness must be > 0, got {softness}")
    shape = candidates[0].image.shape
    for index, candidate in enumerate(candidates):
        if candidate.image.shape != shape or candidate.source_x.shape != shape[:2]:
            raise InputError(
                f"candidate {index}: image {candidate.image.shape} and source map "
                f"{candidate.source_x.shape} must match candidate 0's image {shape}"
            )
    errors = np.stack([source_colour_error(frame, c) for c in candidates]).astype(np.float64)
    scale = np.maximum(softness * errors.mean(axis=0), 1e-12)
    # Clipped: beyond 50 the weight is 0 in float32 anyway; the best candidate's is exactly 1.
    weights = np.exp(-np.minimum((errors - errors.min(axis=0)) / scale, 50.0))
    weights /= weights.sum(axis=0)
    return weights


def weighted_mix(weights: np.ndarray, candidates: Sequence[Candidate]) -> np.ndarray:
    """The candidates' images summed with (K, H, W) ``weights``: (H, W, C) float32."""
    shape = candidates[0].image.shape
    mixed = np.zeros(shape, np.float64)
    for weight, candidate in zip(weights, candidates, strict=True):
        mixed += (weight if len(shape) == 2 else weight[..., None]) * candidate.image
    return mixed.astype(np.float32)


def mix_candidates(
    frame: np.ndarray, candidates: Sequence[Candidate], softness: float = DEFAULT_MIXING
) -> np.ndarray:
    """Per-pixel mix of the candidates, weighted by their source colour match
    (:func:`candidate_weights`): (H, W, C) float32."""
    return weighted_mix(candidate_weights(frame, candidates, softness), candidates)
