# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the flow tests: a real textured image at a size RAFT handles in a blink."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="session")
def small_photo(photo: np.ndarray) -> np.ndarray:
    """(256, 320, 3) float32: the painting halved (area filter) and cropped."""
    half = cv2.resize(photo, (600, 456), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(half[100:356, 140:460])
