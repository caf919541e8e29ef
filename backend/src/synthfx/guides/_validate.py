# SPDX-License-Identifier: Apache-2.0
"""Input checks shared by the guide builders: every guide is float32 (H, W, C), never quantised."""

from __future__ import annotations

import numpy as np

from synthfx.arrays import checked_image
from synthfx.errors import InputError

# Rec. 601 luma weights (R, G, B): what OpenCV's RGB2GRAY uses, so luminance-based guides agree
# with tools that build them from OpenCV greyscale conversions.
LUMA_WEIGHTS: tuple[float, float, float] = (0.299, 0.587, 0.114)


def as_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Checks an image and returns it as a float32 (H, W, C) array.

    Args:
        image: (H, W) or (H, W, C) array, any real dtype; values are used as given.
        name: what to call the value in error messages.

    Returns:
        (H, W, C) float32 view or copy.

    Raises:
        InputError: wrong rank, empty, or non-finite values.
    """
    return checked_image(image, name)


def as_flow(flow: np.ndarray, shape: tuple[int, int], name: str = "flow") -> np.ndarray:
    """Checks a flow field against an image size.

    Args:
        flow: (H, W, 2) array of (dx, dy) displacements in pixels.
        shape: the (H, W) the flow must have.
        name: what to call the value in error messages.

    Returns:
        (H, W, 2) float32.
    """
    array = np.asarray(flow)
    if array.shape != (*shape, 2):
        raise InputError(f"{name} must have shape {(*shape, 2)}, got {array.shape}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise InputError(f"{name} contains NaN or infinite values")
    return array


def luminance(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an RGB(A) image; a one-channel image is returned as is.

    Args:
        image: (H, W, C) float32, C = 1, 3 or 4 (RGB order, alpha ignored).

    Returns:
        (H, W) float32.
    """
    channels = image.shape[2]
    if channels == 1:
        return image[..., 0]
    if channels not in (3, 4):
        raise InputError(f"luminance needs 1, 3 or 4 channels, got {channels}")
    red, green, blue = LUMA_WEIGHTS
    return (red * image[..., 0] + green * image[..., 1] + blue * image[..., 2]).astype(np.float32)
