# SPDX-License-Identifier: Apache-2.0
"""Synthetic ground truth and error measures for optical flow (tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.flow.warp import backward_warp


@dataclass(frozen=True)
class SyntheticPair:
    """Two frames with known flow.

    Attributes:
        frame_a: (H, W, C) float32, ``frame_b`` resampled along ``flow_ab``.
        frame_b: (H, W, C) float32, the source image.
        flow_ab: (H, W, 2) float32 exact flow from A to B.
    """

    frame_a: np.ndarray
    frame_b: np.ndarray
    flow_ab: np.ndarray


def smooth_random_flow(
    height: int, width: int, max_displacement: float, *, seed: int = 0, cells: int = 3
) -> np.ndarray:
    """A smooth random flow field: bicubic upsampling of a coarse random grid.

    Args:
        height, width: Size of the field.
        max_displacement: Largest vector length in pixels.
        seed: Random seed.
        cells: Coarse grid cells per side; more cells, more local variation.

    Returns:
        (H, W, 2) float32 with ``max(|flow|) == max_displacement``.
    """
    rng = np.random.default_rng(seed)
    coarse = rng.standard_normal((cells + 1, cells + 1, 2)).astype(np.float32)
    # asarray: no copy (already float32), only the type checker's view of cv2's result.
    field = np.asarray(
        cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC), np.float32
    )
    field *= max_displacement / float(np.linalg.norm(field, axis=2).max())
    return np.ascontiguousarray(field, dtype=np.float32)


def synthetic_pair(
    image: np.ndarray, max_displacement: float = 4.0, *, seed: int = 0
) -> SyntheticPair:
    """Makes frame A by sampling ``image`` (frame B) along a smooth random flow.

    ``A[y, x] = B[(x, y) + flow_ab[y, x]]``, so ``flow_ab`` is exactly the flow from A to B.

    Args:
        image: (H, W) or (H, W, C) float32 source image.
        max_displacement: Largest displacement in pixels.
        seed: Random seed of the flow.
    """
    frame_b = np.ascontiguousarray(image, dtype=np.float32)
    flow_ab = smooth_random_flow(frame_b.shape[0], frame_b.shape[1], max_displacement, seed=seed)
    return SyntheticPair(backward_warp(frame_b, flow_ab), frame_b, flow_ab)


def _interior(array: np.ndarray, border: int) -> np.ndarray:
    if border < 0 or 2 * border >= min(array.shape[:2]):
        raise InputError(f"border {border} leaves nothing of a {array.shape[:2]} image")
    return array[border : array.shape[0] - border, border : array.shape[1] - border]


def end_point_error(estimated: np.ndarray, reference: np.ndarray, *, border: int = 0) -> float:
    """Mean Euclidean distance between two (H, W, 2) flows, ignoring ``border`` pixels."""
    if estimated.shape != reference.shape or estimated.shape[-1:] != (2,):
        raise InputError(f"flows must both be (H, W, 2): {estimated.shape} vs {reference.shape}")
    difference = _interior(estimated, border) - _interior(reference, border)
    return float(np.linalg.norm(difference, axis=-1).mean())


def psnr(image: np.ndarray, reference: np.ndarray, *, border: int = 0, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB of ``image`` against ``reference``, inside ``border``."""
    if image.shape != reference.shape:
        raise InputError(f"images differ in shape: {image.shape} vs {reference.shape}")
    difference = _interior(image, border).astype(np.float64) - _interior(reference, border)
    mse = float(np.mean(difference**2))
    return float("inf") if mse == 0.0 else 10.0 * float(np.log10(peak**2 / mse))
