# SPDX-License-Identifier: Apache-2.0
"""The one check every image input goes through: rank, size, dtype, finiteness -> float32."""

from __future__ import annotations

import numpy as np

from synthfx.errors import InputError


def checked_image(
    image: np.ndarray, name: str, *, keep_rank: bool = False, integers: bool = True
) -> np.ndarray:
    """Checks an image and returns it as float32.

    Args:
        image: (H, W) or (H, W, C) array; values are used as given.
        name: what to call the value in error messages.
        keep_rank: return (H, W) input as (H, W); otherwise every image becomes (H, W, C).
        integers: accept integer and boolean dtypes (converted as is). False rejects them with
            a hint, where 0-255 values would silently be taken as floats.

    Raises:
        InputError: wrong rank, empty, non-real, integer (when refused) or non-finite values.
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3) or 0 in array.shape:
        raise InputError(f"{name} must be (H, W) or (H, W, C) and non-empty, got {array.shape}")
    if not integers and not np.issubdtype(array.dtype, np.floating):
        raise InputError(
            f"{name} must hold float pixels, got dtype {array.dtype}; "
            "convert 8-bit images with image.astype(np.float32) / 255"
        )
    if array.dtype == np.bool_:
        array = array.astype(np.float32)  # boolean masks are welcome: True -> 1.0
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"{name} must be real-valued, got dtype {array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise InputError(f"{name} contains NaN or infinite values")
    if array.ndim == 2 and not keep_rank:
        array = array[..., None]
    return array
