# SPDX-License-Identifier: Apache-2.0
"""Image (colour) guide: the frame itself, in float, optionally reduced to luminance."""

from __future__ import annotations

import numpy as np

from synthfx.guides._validate import as_image, luminance


def image_guide(image: np.ndarray, luminance_only: bool = False) -> np.ndarray:
    """The colour guide of a frame.

    Args:
        image: (H, W) or (H, W, C) float image (RGB order; an alpha channel is dropped, since
            transparency is not appearance).
        luminance_only: return Rec. 601 luma only, e.g. to make matching colour-blind when the
            style exemplar's colours differ from the video's.

    Returns:
        (H, W, C) float32 copy (C = 1 or 3), or (H, W, 1) with ``luminance_only``.
    """
    frame = as_image(image)
    if frame.shape[2] == 4:
        frame = frame[..., :3]
    if luminance_only:
        return luminance(frame)[..., None].copy()
    return frame.copy()
