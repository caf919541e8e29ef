# SPDX-License-Identifier: Apache-2.0
"""A frame averaged with its neighbours remapped onto it, per pixel and per band, each
neighbour weighted by how badly its match fits the plate.

Each image is split into a base (a Gaussian of ``BAND_SIGMA_PX``) and the detail above it;
the output is the blended base plus the blended detail, so nothing is blurred. The bands are
weighted apart because their errors differ: a generative render's flicker is mostly broad
(gain, gamma, colour cast), which a small misregistration hardly changes, so the base trusts
every neighbour that matches at all; in the detail a misregistered neighbour would double an
edge, so only close matches count there.

A neighbour's weight is 1 / (1 + error / (temperature * typical)), the weight of a sample
whose variance is the flicker's plus a remap error that grows with the plate error; its heavy
tail keeps moderately good matches, which an exponential would drop. ``typical`` is the band's
median squared difference between the neighbours and the frame: mostly the flicker itself, so
a strong flicker lets worse matches in and a faint one keeps to the best.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Split between base and detail: a Gaussian of 1 px keeps the finest strokes in the detail
# and measured best (bench/deflicker.py: 1.5 and 2 px blended more misregistered detail).
BAND_SIGMA_PX = 1.0
# The base band's temperature: high, so any matching neighbour counts (measured: the PSNR
# barely moves from 2 to 16).
BASE_TEMPERATURE = 2.0
# A typical difference of 0 (identical frames) would divide by zero: the floor, in 0-255^2
# units, is far below any real difference.
_TYPICAL_FLOOR = 1e-3


@dataclass(frozen=True)
class DeflickerResult:
    """One output frame.

    Attributes:
        image: (H, W, C) float32, the render's channels (alpha deflickered like colour).
        support: (H, W) float32 total detail weight of the neighbours blended into each pixel,
            relative to the frame itself (0: nothing matched, the render is kept).
    """

    image: np.ndarray
    support: np.ndarray


def split_bands(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base, detail) of an (H, W, C) float32 image; base + detail == image."""
    base = np.stack(
        [cv2.GaussianBlur(image[..., c], (0, 0), BAND_SIGMA_PX) for c in range(image.shape[2])],
        axis=2,
    )
    return base, image - base


def blend_remapped(
    own: np.ndarray, remapped: list[tuple[np.ndarray, np.ndarray]], detail_temperature: float
) -> DeflickerResult:
    """Averages a frame with its remapped neighbours, weighted by their match error.

    Args:
        own: (H, W, C) float32, the frame itself (weight 1 in both bands).
        remapped: (image (H, W, C), error (H, W)) of each neighbour remapped onto the frame;
            error in 0-255^2 units (``plate_error``).
        detail_temperature: the detail band's temperature (lower trusts only the best matches).
    """
    if not remapped:
        return DeflickerResult(own.copy(), np.zeros(own.shape[:2], np.float32))
    (own_base, own_detail), errors = split_bands(own), [error for _, error in remapped]
    bands = [split_bands(image) for image, _ in remapped]
    base, _ = _blend_band(own_base, [b for b, _ in bands], errors, BASE_TEMPERATURE)
    detail, support = _blend_band(own_detail, [d for _, d in bands], errors, detail_temperature)
    return DeflickerResult((base + detail).astype(np.float32), support.astype(np.float32))


def _blend_band(
    own: np.ndarray, neighbours: list[np.ndarray], errors: list[np.ndarray], temperature: float
) -> tuple[np.ndarray, np.ndarray]:
    """One band's weighted average (float64) and the neighbours' total weight (H, W)."""
    scale = np.float32(temperature * _typical_difference(own, neighbours))
    total = own.astype(np.float64)
    support = np.zeros(own.shape[:2], np.float64)
    for image, error in zip(neighbours, errors, strict=True):  # fixed order: the same bits
        weight = (1.0 / (1.0 + error / scale)).astype(np.float64)
        total += image * weight[..., None]
        support += weight
    return total / (1.0 + support)[..., None], support


def _typical_difference(own: np.ndarray, neighbours: list[np.ndarray]) -> float:
    """Median over the neighbours' pixels of the squared difference to the frame, summed over
    channels, in 0-255^2 units (the plate error's)."""
    squared = [np.square((image - own) * np.float32(255.0)).sum(axis=2) for image in neighbours]
    return max(float(np.median(np.stack(squared))), _TYPICAL_FLOOR)
