# SPDX-License-Identifier: Apache-2.0
"""Phase-Stretch Adaptive Gradient-field Extractor (PAGE; Suthar & Jalali), as a float guide.

PAGE is PST with a bank of directional phase kernels. For each orientation ``theta`` the
frequency plane is rotated, ``u' = u cos(theta) + v sin(theta)``,
``v' = -u sin(theta) + v cos(theta)``, and the kernel is the product of a normal profile across
the orientation, ``phi1 = S1 * N(|u'|; mu_1, sigma_1) / max``, and a log-normal profile along it,
``phi2 = S2 * LogN(|v'|; mu_2, sigma_2) / max``. The phase of the filtered image per orientation
is a directional edge feature.
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import as_image, luminance
from synthfx.guides.edges._spectral import (
    binarize_features,
    cached_lowpass,
    frequency_grid,
    phase_response,
)

# Published defaults (PhyCV's PAGE example).
PAGE_MU_1 = 0.0
PAGE_MU_2 = 0.35
PAGE_SIGMA_1 = 0.05
PAGE_SIGMA_2 = 0.7
PAGE_S1 = 0.8
PAGE_S2 = 0.8
PAGE_SIGMA_LPF = 0.08
PAGE_DIRECTION_BINS = 10
PAGE_THRESH_MIN = -1.0
PAGE_THRESH_MAX = 0.0004
# Guide mapping: 0.5 + gain * phase. PAGE's narrow kernels give strong edges (99th percentile)
# phases near 0.001 rad at the defaults; gain 150 brings them to the classic guide's +-0.15.
PAGE_GUIDE_GAIN = 150.0

PageOutput = Literal["orientations", "sectors", "magnitude"]


def page_directions(direction_bins: int = PAGE_DIRECTION_BINS) -> np.ndarray:
    """Orientations of the filter bank: 1 degree, then steps of pi / bins.

    Args:
        direction_bins: number of orientations, >= 1.

    Returns:
        (direction_bins,) float64 angles in radians, in [pi/180, pi).
    """
    if direction_bins < 1:
        raise InputError(f"direction_bins must be >= 1, got {direction_bins}")
    return np.pi / 180.0 + np.arange(direction_bins) * (np.pi / direction_bins)


def _normalised(profile: np.ndarray, strength: float) -> np.ndarray:
    peak = profile.max()
    return profile * (strength / peak) if peak > 0 else profile


def page_kernels(
    height: int,
    width: int,
    mu_1: float = PAGE_MU_1,
    mu_2: float = PAGE_MU_2,
    sigma_1: float = PAGE_SIGMA_1,
    sigma_2: float = PAGE_SIGMA_2,
    s1: float = PAGE_S1,
    s2: float = PAGE_S2,
    direction_bins: int = PAGE_DIRECTION_BINS,
    phycv_grid: bool = False,
) -> np.ndarray:
    """The PAGE directional phase kernels.

    Args:
        height: H.
        width: W.
        mu_1: centre of the normal profile across the orientation.
        mu_2: centre (log-frequency) of the log-normal profile along the orientation.
        sigma_1: deviation of the normal profile (> 0).
        sigma_2: deviation of the log-normal profile (> 0).
        s1: peak phase of the normal profile.
        s2: peak phase of the log-normal profile.
        direction_bins: number of orientations.
        phycv_grid: use PhyCV's frequency grid.

    Returns:
        (direction_bins, H, W) float64 kernels in FFT order.
    """
    if not (sigma_1 > 0 and sigma_2 > 0):
        raise InputError(f"sigma_1 and sigma_2 must be > 0, got {sigma_1}, {sigma_2}")
    u, v, _ = frequency_grid(height, width, phycv_grid)
    kernels = np.empty((direction_bins, height, width))
    for index, theta in enumerate(page_directions(direction_bins)):
        across = np.abs(u * np.cos(theta) + v * np.sin(theta))
        along = np.abs(-u * np.sin(theta) + v * np.cos(theta))
        # Constant factors of the densities cancel in the peak normalisation.
        normal = np.exp(-0.5 * ((across - mu_1) / sigma_1) ** 2)
        lognormal = np.zeros_like(along)
        positive = along > 0  # the log-normal density tends to 0 at zero frequency
        lognormal[positive] = (
            np.exp(-0.5 * ((np.log(along[positive]) - mu_2) / sigma_2) ** 2) / along[positive]
        )
        kernels[index] = _normalised(normal, s1) * _normalised(lognormal, s2)
    return kernels


@functools.lru_cache(maxsize=2)
def _cached_page_kernels(
    height: int,
    width: int,
    mu_1: float,
    mu_2: float,
    sigma_1: float,
    sigma_2: float,
    s1: float,
    s2: float,
    direction_bins: int,
    phycv_grid: bool,
) -> np.ndarray:
    """:func:`page_kernels` as read-only float32, cached: the frames of a video share them
    (4 bytes per pixel and direction, 83 MB at 1920x1080 with 10 bins)."""
    kernels = page_kernels(
        height, width, mu_1, mu_2, sigma_1, sigma_2, s1, s2, direction_bins, phycv_grid
    ).astype(np.float32)
    # Far from its passband a kernel underflows to float32 denormals, which make cos/sin
    # several times slower; phases below 1e-12 rad change nothing.
    kernels[kernels < 1e-12] = 0.0
    kernels.setflags(write=False)
    return kernels


def page_phase(
    image: np.ndarray,
    mu_1: float = PAGE_MU_1,
    mu_2: float = PAGE_MU_2,
    sigma_1: float = PAGE_SIGMA_1,
    sigma_2: float = PAGE_SIGMA_2,
    s1: float = PAGE_S1,
    s2: float = PAGE_S2,
    sigma_lpf: float = PAGE_SIGMA_LPF,
    direction_bins: int = PAGE_DIRECTION_BINS,
    phycv_grid: bool = False,
    device: str | None = None,
) -> np.ndarray:
    """Raw PAGE features: the phase per orientation, in radians.

    Args:
        image: (H, W) or (H, W, C) float image; colour is reduced to Rec. 601 luma.
        mu_1, mu_2, sigma_1, sigma_2, s1, s2, direction_bins: see :func:`page_kernels`.
        sigma_lpf: localization filter width.
        phycv_grid: reproduce PhyCV's frequency grid.
        device: None for numpy, or a torch device name.

    Returns:
        (H, W, direction_bins) float32 phase.
    """
    luma = luminance(as_image(image))
    height, width = luma.shape
    kernels = _cached_page_kernels(
        height, width, mu_1, mu_2, sigma_1, sigma_2, s1, s2, direction_bins, phycv_grid
    )
    lowpass = cached_lowpass(height, width, sigma_lpf, phycv_grid)
    return phase_response(luma, lowpass, kernels, device)


def combine_orientations(phase: np.ndarray, output: PageOutput) -> np.ndarray:
    """Reduces per-orientation phases to the requested guide channels.

    Args:
        phase: (H, W, K) float32 per-orientation phase.
        output: "orientations": all K channels; "sectors": 3 channels, the mean over three
            contiguous groups of orientations (about 0-60, 60-120, 120-180 degrees);
            "magnitude": 1 channel, at each pixel the signed phase of largest magnitude.

    Returns:
        (H, W, K), (H, W, 3) or (H, W, 1) float32.
    """
    if output == "orientations":
        return phase
    if output == "sectors":
        groups = np.array_split(np.arange(phase.shape[2]), 3)
        if any(len(group) == 0 for group in groups):
            raise InputError(f"'sectors' needs >= 3 direction bins, got {phase.shape[2]}")
        return np.stack([phase[..., group].mean(axis=2) for group in groups], axis=2)
    if output == "magnitude":
        strongest = np.abs(phase).argmax(axis=2)[..., None]
        return np.take_along_axis(phase, strongest, axis=2)
    raise InputError(f"output must be 'orientations', 'sectors' or 'magnitude', got {output!r}")


def page_edges(
    image: np.ndarray,
    mu_1: float = PAGE_MU_1,
    mu_2: float = PAGE_MU_2,
    sigma_1: float = PAGE_SIGMA_1,
    sigma_2: float = PAGE_SIGMA_2,
    s1: float = PAGE_S1,
    s2: float = PAGE_S2,
    sigma_lpf: float = PAGE_SIGMA_LPF,
    direction_bins: int = PAGE_DIRECTION_BINS,
    output: PageOutput = "orientations",
    gain: float = PAGE_GUIDE_GAIN,
    offset: float = 0.5,
    morph: bool = False,
    thresh_min: float = PAGE_THRESH_MIN,
    thresh_max: float = PAGE_THRESH_MAX,
    phycv_grid: bool = False,
    device: str | None = None,
) -> np.ndarray:
    """PAGE edge guide.

    Args:
        image: (H, W) or (H, W, C) float image.
        mu_1, mu_2, sigma_1, sigma_2, s1, s2, direction_bins: see :func:`page_kernels`.
        sigma_lpf: localization filter width.
        output: channel layout, see :func:`combine_orientations`.
        gain: guide = offset + gain * phase (float guide mode).
        offset: see ``gain``.
        morph: binary edge maps (thresholds + closing, per channel) instead of the float guide.
        thresh_min: lower phase threshold of the binary map.
        thresh_max: upper phase threshold of the binary map.
        phycv_grid: reproduce PhyCV's frequency grid.
        device: None for numpy, or a torch device name.

    Returns:
        (H, W, C') float32, C' set by ``output``.
    """
    phase = page_phase(
        image, mu_1, mu_2, sigma_1, sigma_2, s1, s2, sigma_lpf, direction_bins, phycv_grid, device
    )
    combined = combine_orientations(phase, output)
    if morph:
        luma = luminance(as_image(image))
        return binarize_features(combined, luma, thresh_min, thresh_max)
    return (offset + gain * combined).astype(np.float32)
