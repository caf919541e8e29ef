# SPDX-License-Identifier: Apache-2.0
"""Classic edge guide: a two-sided high-pass of luminance, kept in float.

Ebsynth-style tools store ``image - blur`` as clipped bytes, which throws away one side of every
edge. Here the high-pass is kept signed and shifted: ``offset + gain * (L - G_sigma * L)``, so at
the defaults flat regions sit at 0.5 and dark/bright sides of an edge fall below/above it. With
inputs in [0, 1] and gain 1 the guide lies in [-0.5, 1.5] (in practice close to [0.3, 0.7]).
"""

from __future__ import annotations

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import as_image, luminance

CLASSIC_SIGMA = 1.5
CLASSIC_GAIN = 1.0


def highpass(luma: np.ndarray, sigma: float = CLASSIC_SIGMA) -> np.ndarray:
    """Signed high-pass ``L - G_sigma * L`` (mirrored borders).

    Args:
        luma: (H, W) float32.
        sigma: Gaussian deviation in pixels (> 0).

    Returns:
        (H, W) float32 with zero mean response on flat regions.
    """
    if not sigma > 0:
        raise InputError(f"sigma must be > 0, got {sigma}")
    blurred = cv2.GaussianBlur(luma, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    return luma - blurred


def classic_edges(
    image: np.ndarray,
    sigma: float = CLASSIC_SIGMA,
    gain: float = CLASSIC_GAIN,
    offset: float = 0.5,
) -> np.ndarray:
    """Classic edge guide.

    Args:
        image: (H, W) or (H, W, C) float image (RGB or one channel).
        sigma: Gaussian deviation of the blur, in pixels.
        gain: scale of the high-pass.
        offset: value of flat regions.

    Returns:
        (H, W, 1) float32 ``offset + gain * (L - blur(L))``, not clipped.
    """
    luma = luminance(as_image(image))
    return (offset + gain * highpass(luma, sigma))[..., None].astype(np.float32)
