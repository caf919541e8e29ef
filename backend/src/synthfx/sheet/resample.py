# SPDX-License-Identifier: Apache-2.0
"""Resizing crops into and out of sheet cells, in float32.

Shrinking goes through OpenImageIO's Lanczos-3 resize, whose filter widens with the factor, so
strokes painted at sheet resolution do not alias when a cell is cut back to a smaller crop
(OpenCV's Lanczos keeps a fixed-width kernel and turns fine detail into moire; its area filter is
a box). Enlarging uses OpenCV's Lanczos-4, which is faster and as sharp there. Float throughout:
values outside [0, 1] and filter overshoot are kept, never clipped or quantised.
"""

from __future__ import annotations

import cv2
import numpy as np
import OpenImageIO as oiio

from synthfx.errors import InputError

_SHRINK_FILTER = "lanczos3"


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W, C) float32 resized to (height, width, C); the same size is returned as is."""
    if image.shape[:2] == (height, width):
        return image
    channels = image.shape[2]
    source = np.ascontiguousarray(image, dtype=np.float32)
    if width >= image.shape[1] and height >= image.shape[0]:
        resized = cv2.resize(source, (width, height), interpolation=cv2.INTER_LANCZOS4)
        # OpenCV drops a single channel's axis.
        return np.ascontiguousarray(resized.reshape(height, width, channels), dtype=np.float32)
    buffer = oiio.ImageBuf(source)
    roi = oiio.ROI(0, width, 0, height, 0, 1, 0, channels)
    shrunk = oiio.ImageBufAlgo.resize(buffer, filtername=_SHRINK_FILTER, roi=roi)
    pixels = shrunk.get_pixels(oiio.FLOAT)
    if pixels is None:
        raise InputError(
            f"cannot resize {image.shape[1]}x{image.shape[0]} to {width}x{height}: "
            f"{shrunk.geterror() or oiio.geterror()}"
        )
    return np.ascontiguousarray(pixels.reshape(height, width, channels), dtype=np.float32)
