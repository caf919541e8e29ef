# SPDX-License-Identifier: Apache-2.0
"""Phase Stretch Transform edges (Asghari & Jalali, 2015), as a float guide.

The luminance is low-passed by the localization filter, its spectrum multiplied by
``exp(-j * phi(rho))`` with the warped phase kernel
``phi(rho) = S * (W rho atan(W rho) - 0.5 ln(1 + (W rho)^2)) / max(...)``, and the phase of the
inverse transform is the edge feature: near zero in flat regions, positive/negative across edges.
"""

from __future__ import annotations

import functools

import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import as_image, luminance
from synthfx.guides.edges._spectral import (
    binarize_features,
    cached_lowpass,
    frequency_grid,
    phase_response,
)

# Published defaults (PhyCV's PST example).
PST_PHASE_STRENGTH = 0.3
PST_WARP_STRENGTH = 15.0
PST_SIGMA_LPF = 0.15
PST_THRESH_MIN = -0.5
PST_THRESH_MAX = 0.003
# Guide mapping: 0.5 + gain * phase. At the defaults, strong edges of natural images (99th
# percentile) have phases near 0.01 rad; gain 15 gives them the contrast they have in the classic
# guide (about +-0.15), so the default edge weight means the same for every method.
PST_GUIDE_GAIN = 15.0


def pst_kernel(
    height: int,
    width: int,
    phase_strength: float = PST_PHASE_STRENGTH,
    warp_strength: float = PST_WARP_STRENGTH,
    phycv_grid: bool = False,
) -> np.ndarray:
    """The PST phase kernel, normalised to a peak of ``phase_strength``.

    Args:
        height: H.
        width: W.
        phase_strength: S, the kernel's maximum phase in radians.
        warp_strength: W, how strongly the kernel's slope grows with frequency (> 0).
        phycv_grid: use PhyCV's frequency grid (see :func:`frequency_grid`).

    Returns:
        (H, W) float64 kernel in FFT order.
    """
    if not warp_strength > 0:
        raise InputError(f"warp_strength must be > 0, got {warp_strength}")
    _, _, rho = frequency_grid(height, width, phycv_grid)
    warped = warp_strength * rho
    kernel = warped * np.arctan(warped) - 0.5 * np.log1p(warped**2)
    return phase_strength * kernel / kernel.max()


@functools.lru_cache(maxsize=2)
def _cached_pst_kernel(
    height: int, width: int, phase_strength: float, warp_strength: float, phycv_grid: bool
) -> np.ndarray:
    """:func:`pst_kernel` as read-only float32, cached: the frames of a video share it."""
    kernel = pst_kernel(height, width, phase_strength, warp_strength, phycv_grid)
    kernel = kernel.astype(np.float32)
    kernel.setflags(write=False)
    return kernel


def pst_phase(
    image: np.ndarray,
    phase_strength: float = PST_PHASE_STRENGTH,
    warp_strength: float = PST_WARP_STRENGTH,
    sigma_lpf: float = PST_SIGMA_LPF,
    phycv_grid: bool = False,
    device: str | None = None,
) -> np.ndarray:
    """Raw PST feature: the output phase in radians.

    Args:
        image: (H, W) or (H, W, C) float image; colour is reduced to Rec. 601 luma.
        phase_strength: S.
        warp_strength: W.
        sigma_lpf: localization filter width (normalised frequency).
        phycv_grid: reproduce PhyCV's frequency grid.
        device: None for numpy, or a torch device name.

    Returns:
        (H, W) float32 phase.
    """
    luma = luminance(as_image(image))
    height, width = luma.shape
    kernel = _cached_pst_kernel(height, width, phase_strength, warp_strength, phycv_grid)
    lowpass = cached_lowpass(height, width, sigma_lpf, phycv_grid)
    return phase_response(luma, lowpass, kernel[None], device)[..., 0]


def pst_edges(
    image: np.ndarray,
    phase_strength: float = PST_PHASE_STRENGTH,
    warp_strength: float = PST_WARP_STRENGTH,
    sigma_lpf: float = PST_SIGMA_LPF,
    gain: float = PST_GUIDE_GAIN,
    offset: float = 0.5,
    morph: bool = False,
    thresh_min: float = PST_THRESH_MIN,
    thresh_max: float = PST_THRESH_MAX,
    phycv_grid: bool = False,
    device: str | None = None,
) -> np.ndarray:
    """PST edge guide.

    Args:
        image: (H, W) or (H, W, C) float image.
        phase_strength: S.
        warp_strength: W.
        sigma_lpf: localization filter width.
        gain: guide = offset + gain * phase (float guide mode).
        offset: see ``gain``.
        morph: return PhyCV's binary edge map (thresholds + closing) instead of the float guide.
        thresh_min: lower phase threshold of the binary map.
        thresh_max: upper phase threshold of the binary map.
        phycv_grid: reproduce PhyCV's frequency grid.
        device: None for numpy, or a torch device name.

    Returns:
        (H, W, 1) float32: ``offset + gain * phase``, or {0, 1} when ``morph``.
    """
    phase = pst_phase(image, phase_strength, warp_strength, sigma_lpf, phycv_grid, device)
    if morph:
        luma = luminance(as_image(image))
        return binarize_features(phase, luma, thresh_min, thresh_max)[..., None]
    return (offset + gain * phase).astype(np.float32)[..., None]
