# SPDX-License-Identifier: Apache-2.0
"""A deterministic "painterly" filter for making keyframes in demos and known-answer tests.

``painterly`` is a pure function of the image (no state, no randomness beyond a fixed seed), so
a propagated frame can be compared with ``painterly(frame)``. Steps, all in float32:

1. Edge-preserving smoothing: ``ITERATIONS`` passes of ``cv2.bilateralFilter``.
2. Smooth luminance posterisation: Rec. 601 luminance is mapped to ``LEVELS`` bands with soft
   (smoothstep) transitions; RGB is rescaled by the luminance ratio, which keeps hue and the
   chroma ratios, then saturation is boosted slightly.
3. Ink lines: an XDoG-style difference of Gaussians on the smoothed luminance marks the dark
   side of edges with 1-2 px lines, gated by the gradient magnitude so only strong edges get
   ink; the colour is darkened by up to ``INK_STRENGTH`` there.
4. Paper texture: a fixed ``TILE`` x ``TILE`` tile of blurred noise from
   ``np.random.default_rng(PAPER_SEED)``, indexed by pixel coordinates modulo ``TILE``
   (content-independent; identical for every frame of the same size), multiplies the result.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from synthfx.errors import InputError

ITERATIONS = 2
LEVELS = 5
SATURATION = 1.25
INK_STRENGTH = 0.85
TILE = 128
PAPER_SEED = 1234
PAPER_AMPLITUDE = 0.1

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@lru_cache(maxsize=1)
def _paper_tile() -> np.ndarray:
    """(TILE, TILE) float32 zero-mean, unit-max paper grain from the fixed seed (read-only)."""
    rng = np.random.default_rng(PAPER_SEED)
    noise = rng.standard_normal((TILE, TILE)).astype(np.float32)
    # Blur with wrap-around (tile three times, blur, take the centre) so tiles join seamlessly.
    big = cv2.GaussianBlur(np.tile(noise, (3, 3)), (0, 0), 1.2)
    fine = big[TILE : 2 * TILE, TILE : 2 * TILE]
    # Add horizontal fibres: a stronger blur along x.
    fibres = cv2.GaussianBlur(np.tile(noise, (3, 3)), (0, 0), sigmaX=4.0, sigmaY=0.7)
    tile = fine + 0.7 * fibres[TILE : 2 * TILE, TILE : 2 * TILE]
    tile -= tile.mean()
    tile /= np.abs(tile).max()
    tile.setflags(write=False)
    return tile


def paper_texture(height: int, width: int) -> np.ndarray:
    """Multiplicative paper modulation for an image of the given size.

    Returns:
        (height, width) float32 around 1 (within ``1 +- PAPER_AMPLITUDE``).
    """
    tile = _paper_tile()
    ys = np.arange(height) % TILE
    xs = np.arange(width) % TILE
    return (1.0 + PAPER_AMPLITUDE * tile[ys[:, None], xs[None, :]]).astype(np.float32)


def _posterise(luma: np.ndarray) -> np.ndarray:
    """Map luminance (H, W) float32 in [0, 1] to ``LEVELS`` bands with smoothstep transitions."""
    x = np.clip(luma, 0.0, 1.0) * (LEVELS - 1)
    base = np.floor(x)
    frac = x - base
    # Sharp but continuous step in the middle of each band.
    s = np.clip((frac - 0.35) / 0.3, 0.0, 1.0)
    s = s * s * (3.0 - 2.0 * s)
    return ((base + s) / (LEVELS - 1)).astype(np.float32)


def _ink(luma: np.ndarray) -> np.ndarray:
    """Ink coverage (H, W) float32 in [0, 1]: thin lines on the dark side of strong edges."""
    g1 = cv2.GaussianBlur(luma, (0, 0), 0.8)
    g2 = cv2.GaussianBlur(luma, (0, 0), 1.6)
    dog = g1 - g2  # negative on the dark side of an edge
    line = np.clip((-dog - 0.004) / 0.012, 0.0, 1.0)
    gx = cv2.Sobel(g2, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g2, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.sqrt(gx * gx + gy * gy)
    gate = np.clip((magnitude - 0.12) / 0.15, 0.0, 1.0)
    return (line * gate).astype(np.float32)


def painterly(image: np.ndarray) -> np.ndarray:
    """Apply the deterministic painterly filter.

    Args:
        image: (H, W, 3) float32 RGB in [0, 1].

    Returns:
        (H, W, 3) float32 RGB in [0, 1]: smoothed, posterised, inked and paper-textured.

    Raises:
        InputError: ``image`` is not an (H, W, 3) array.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"painterly expects an (H, W, 3) image, got shape {image.shape}")
    height, width = image.shape[:2]
    rgb = np.ascontiguousarray(np.clip(image, 0.0, 1.0), dtype=np.float32)

    # 1. Edge-preserving smoothing.
    for _ in range(ITERATIONS):
        rgb = np.asarray(cv2.bilateralFilter(rgb, d=7, sigmaColor=0.12, sigmaSpace=3.0))

    # 2. Posterise luminance, keep hue, boost saturation.
    luma = rgb @ _LUMA
    target = _posterise(luma)
    ratio = target / np.maximum(luma, 1e-3)
    out = rgb * ratio[..., None]
    out = np.where(luma[..., None] < 1e-3, target[..., None], out)
    grey = (out @ _LUMA)[..., None]
    out = grey + SATURATION * (out - grey)

    # 3. Ink lines along strong luminance edges.
    out *= (1.0 - INK_STRENGTH * _ink(luma))[..., None]

    # 4. Paper texture.
    out *= paper_texture(height, width)[..., None]
    return np.clip(out, 0.0, 1.0).astype(np.float32)
