# SPDX-License-Identifier: Apache-2.0
"""Synthetic flicker of the kind generative per-frame renders show, for known-answer tests,
benchmarks and demos.

``add_flicker(clean, seed)`` is a pure function of the frame and the seed. Per frame it draws
a global gain, a gamma, a colour cast (per-channel gain) and an offset, and a fresh texture of
blurred noise (a generative model repaints fine strokes differently every frame):

    X = gain * cast * clean ** gamma + offset + TEXTURE_AMPLITUDE * texture
"""

from __future__ import annotations

import cv2
import numpy as np

GAIN_SPREAD = 0.12  # gain in 1 +- this
GAMMA_SPREAD = 0.12  # gamma in 1 +- this
CAST_SPREAD = 0.05  # each channel's gain in 1 +- this
OFFSET_SPREAD = 0.03  # offset in +- this
TEXTURE_AMPLITUDE = 0.04  # texture's standard deviation
TEXTURE_BLUR_PX = 1.0  # strokes a few pixels wide, not per-pixel noise


def add_flicker(clean: np.ndarray, seed: int) -> np.ndarray:
    """``clean`` with one frame's random flicker.

    Args:
        clean: (H, W, C) float32 in [0, 1]; with C = 4, alpha is left as it is.
        seed: the frame's seed (e.g. its number): the same seed gives the same flicker.

    Returns:
        (H, W, C) float32, not clipped.
    """
    rng = np.random.default_rng(seed)
    colour = np.clip(clean[..., : min(3, clean.shape[2])], 0.0, None)
    channels = colour.shape[2]
    gain = 1.0 + rng.uniform(-GAIN_SPREAD, GAIN_SPREAD)
    gamma = 1.0 + rng.uniform(-GAMMA_SPREAD, GAMMA_SPREAD)
    cast = 1.0 + rng.uniform(-CAST_SPREAD, CAST_SPREAD, channels)
    offset = rng.uniform(-OFFSET_SPREAD, OFFSET_SPREAD)
    noise = rng.standard_normal(colour.shape).astype(np.float32)
    texture = cv2.GaussianBlur(noise, (0, 0), TEXTURE_BLUR_PX).reshape(colour.shape)
    texture *= np.float32(1.0 / max(float(texture.std()), 1e-6))
    flickered = gain * cast * colour**gamma + offset + TEXTURE_AMPLITUDE * texture
    out = clean.copy()
    out[..., :channels] = flickered
    return out.astype(np.float32)
