# SPDX-License-Identifier: Apache-2.0
"""Mask guide and feathering (also used for soft output alpha)."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import as_image

FeatherKind = Literal["gaussian", "box"]


def _as_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    array = as_image(mask, name)
    if array.shape[2] != 1:
        raise InputError(f"{name} must be (H, W) or (H, W, 1), got {np.shape(mask)}")
    return array[..., 0]


def mask_guide(mask: np.ndarray, invert: bool = False) -> np.ndarray:
    """Guide channel from a float mask (1 = inside).

    Matching source and target masks keeps patches of the masked object inside the object.

    Args:
        mask: (H, W) or (H, W, 1) float mask, nominally in [0, 1] (used as given).
        invert: use ``1 - mask``.

    Returns:
        (H, W, 1) float32.
    """
    values = _as_mask(mask)
    return ((1.0 - values) if invert else values.copy())[..., None].astype(np.float32)


def feather_mask(mask: np.ndarray, radius: float, kind: FeatherKind = "gaussian") -> np.ndarray:
    """Softens a mask's edge over about ``radius`` pixels on each side.

    Args:
        mask: (H, W) or (H, W, 1) float mask.
        radius: feather radius in pixels (>= 0; 0 returns the mask unchanged). "gaussian" uses
            a Gaussian of deviation radius / 2 (95 % of the ramp within +-radius); "box" a
            (2 * round(radius) + 1)-wide box (a linear ramp of exactly +-radius).
        kind: "gaussian" or "box".

    Returns:
        (H, W) float32, mirrored borders (the mask's extent at the image edge is kept).
    """
    values = _as_mask(mask)
    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"feather radius must be >= 0, got {radius}")
    if radius == 0:
        return values.copy()
    if kind == "gaussian":
        return cv2.GaussianBlur(values, (0, 0), radius / 2.0, borderType=cv2.BORDER_REFLECT_101)
    if kind == "box":
        size = 2 * round(radius) + 1
        return cv2.blur(values, (size, size), borderType=cv2.BORDER_REFLECT_101)
    raise InputError(f"feather kind must be 'gaussian' or 'box', got {kind!r}")
