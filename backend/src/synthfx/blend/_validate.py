# SPDX-License-Identifier: Apache-2.0
"""Input checks shared by the blending modules."""

from __future__ import annotations

import numpy as np

from synthfx.errors import InputError


def as_float_image(image: np.ndarray, name: str) -> np.ndarray:
    """(H, W) or (H, W, C) real finite array -> float32 of the same rank.

    Raises:
        InputError: wrong rank, empty, non-real or non-finite.
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3) or 0 in array.shape:
        raise InputError(f"{name} must be (H, W) or (H, W, C) and non-empty, got {array.shape}")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"{name} must be real-valued, got dtype {array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise InputError(f"{name} contains NaN or infinite values")
    return array


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
