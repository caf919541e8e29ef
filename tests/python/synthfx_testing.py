# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by tests (importable from any test module: tests/python is on sys.path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_png(path: Path) -> np.ndarray:
    """(H, W, C) float32 in [0, 1] via OpenCV (RGB order), independent of synthfx.io."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(path)
    if image.ndim == 2:
        image = image[..., None]
    elif image.shape[2] >= 3:
        image = image[..., [2, 1, 0, *range(3, image.shape[2])]]
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    return np.ascontiguousarray(image.astype(np.float32) / scale)
