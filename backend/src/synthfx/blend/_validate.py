# SPDX-License-Identifier: Apache-2.0
"""Input checks shared by the blending modules."""

from __future__ import annotations

import numpy as np

from synthfx.arrays import checked_image
from synthfx.errors import InputError


def as_float_image(image: np.ndarray, name: str) -> np.ndarray:
    """(H, W) or (H, W, C) real finite array -> float32 of the same rank.

    Raises:
        InputError: wrong rank, empty, non-real or non-finite.
    """
    return checked_image(image, name, keep_rank=True)


def as_error_map(error: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    """A per-pixel synthesis error, (H, W) or (H, W, 1), as (H, W) float32."""
    array = as_float_image(error, name)
    if array.ndim == 3:
        if array.shape[2] != 1:
            raise InputError(f"{name} must have one channel, got {array.shape}")
        array = array[..., 0]
    if array.shape != shape:
        raise InputError(f"{name} must be {shape}, got {array.shape}")
    return array


def same_shape(first: np.ndarray, second: np.ndarray, names: tuple[str, str]) -> None:
    """Raises InputError unless the two arrays have equal shapes."""
    if first.shape != second.shape:
        raise InputError(
            f"{names[0]} {first.shape} and {names[1]} {second.shape} must have the same shape"
        )
