# SPDX-License-Identifier: Apache-2.0
"""Screened Poisson reconstruction on the image grid, solved exactly with DCT-II.

Gradients are forward differences with Neumann (reflecting) boundaries: ``gx[y, x] =
u[y, x + 1] - u[y, x]`` for ``x < W - 1`` and 0 in the last column (likewise ``gy`` in the last
row). The divergence is the matching backward difference, so ``div(grad u)`` is the 5-point
Laplacian with mirrored borders, which the 2-D DCT-II diagonalises: every row and column is its
own 1-D problem and nothing couples the end of one row to the start of the next.

We solve ``(lambda I - Laplacian) u = lambda u0 - div(g)``; in DCT space this is a division by
``lambda + (2 - 2 cos(pi k / W)) + (2 - 2 cos(pi l / H))`` per coefficient.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft

from synthfx.blend._validate import as_float_image, same_shape
from synthfx.errors import InputError


def forward_gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward-difference gradients with Neumann boundaries.

    Args:
        image: (H, W) or (H, W, C) float image.

    Returns:
        (gx, gy), each float32 of the image's shape; ``gx[:, -1] = 0`` and ``gy[-1] = 0``.
    """
    values = as_float_image(image, "image")
    gx = np.zeros_like(values)
    gy = np.zeros_like(values)
    np.subtract(values[:, 1:], values[:, :-1], out=gx[:, :-1])
    np.subtract(values[1:], values[:-1], out=gy[:-1])
    return gx, gy


def _to_planar(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, C) -> contiguous (C, H, W) float64: the DCTs are fastest on planes."""
    planes = image[None] if image.ndim == 2 else np.moveaxis(image, 2, 0)
    return np.ascontiguousarray(planes, dtype=np.float64)


def _from_planar(planes: np.ndarray, ndim: int) -> np.ndarray:
    """Inverse of :func:`_to_planar`, as float32."""
    image = planes[0] if ndim == 2 else np.moveaxis(planes, 0, 2)
    return np.ascontiguousarray(image, dtype=np.float32)


def divergence(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Backward-difference divergence, the negative adjoint of :func:`forward_gradients`.

    The last column of ``gx`` and the last row of ``gy`` would point outside the image and are
    ignored (treated as 0), as Neumann boundaries require.

    Args:
        gx: (H, W) or (H, W, C) float horizontal gradient.
        gy: same shape, vertical gradient.

    Returns:
        float32 array of the same shape.
    """
    gx_values = as_float_image(gx, "gx")
    gy_values = as_float_image(gy, "gy")
    same_shape(gx_values, gy_values, ("gx", "gy"))
    div = np.zeros(gx_values.shape, dtype=np.float32)
    inner_x = gx_values[:, :-1]
    div[:, :-1] += inner_x
    div[:, 1:] -= inner_x
    inner_y = gy_values[:-1]
    div[:-1] += inner_y
    div[1:] -= inner_y
    return div


def _laplacian_eigenvalues(length: int) -> np.ndarray:
    """``2 - 2 cos(pi k / N)``, k = 0..N-1: eigenvalues of the 1-D Neumann -Laplacian."""
    return 2.0 - 2.0 * np.cos(np.pi * np.arange(length) / length)


def screened_poisson(
    gx: np.ndarray,
    gy: np.ndarray,
    u0: np.ndarray,
    screening: float,
    workers: int | None = None,
) -> np.ndarray:
    """Solves ``(screening * I - Laplacian) u = screening * u0 - div(gx, gy)`` exactly.

    ``u`` is the image whose gradients best match (gx, gy) while staying close to ``u0``,
    minimising ``sum |grad u - g|^2 + screening * |u - u0|^2``. Small ``screening`` trusts the
    gradients, large ``screening`` returns ``u0``. Each channel is solved independently, and
    each channel's mean is always ``u0``'s (the mean of a divergence is exactly 0).

    The transforms run in float64: with a small ``screening`` the lowest frequencies are divided
    by numbers near ``(pi / W)^2`` and float32 rounding would be amplified into visible drift.

    Args:
        gx: (H, W) or (H, W, C) float target horizontal forward differences.
        gy: same shape, vertical forward differences.
        u0: same shape, the guide (data term) image.
        screening: lambda >= 0, in 1/pixel^2; ``1 / sqrt(lambda)`` is the distance in pixels
            over which a gradient inconsistency is spread.
        workers: threads for the DCTs (scipy.fft's ``workers``; None = scipy's default).

    Returns:
        float32 array of ``u0``'s shape.
    """
    gx_values = as_float_image(gx, "gx")
    gy_values = as_float_image(gy, "gy")
    guide = as_float_image(u0, "u0")
    same_shape(gx_values, gy_values, ("gx", "gy"))
    same_shape(gx_values, guide, ("gradients", "u0"))
    if not (math.isfinite(screening) and screening >= 0):
        raise InputError(f"screening must be finite and >= 0, got {screening}")
    height, width = guide.shape[:2]

    # The right-hand side is assembled in float32 in the input layout (cheap, contiguous); its
    # rounding (~1e-7 relative) stays ~1e-6 after the solve. The transforms need float64.
    rhs32 = divergence(gx_values, gy_values)
    np.negative(rhs32, out=rhs32)
    if screening > 0:
        rhs32 += np.float32(screening) * guide
    rhs = _to_planar(rhs32)
    del rhs32
    coefficients = fft.dctn(
        rhs, type=2, norm="ortho", axes=(1, 2), overwrite_x=True, workers=workers
    )
    denominator = (
        _laplacian_eigenvalues(height)[:, None] + _laplacian_eigenvalues(width)[None, :]
    ) + screening
    # The DC term: lambda * mean(u0) / lambda, exactly (and the free constant when lambda = 0).
    denominator[0, 0] = 1.0
    guide_mean = guide.reshape(-1, rhs.shape[0]).mean(axis=0, dtype=np.float64)
    coefficients[:, 0, 0] = guide_mean * math.sqrt(height * width)
    coefficients /= denominator
    result = fft.idctn(
        coefficients, type=2, norm="ortho", axes=(1, 2), overwrite_x=True, workers=workers
    )
    return _from_planar(result, guide.ndim)


def reconstruct_from_gradients(
    image: np.ndarray, u0: np.ndarray | None = None, screening: float = 0.0
) -> np.ndarray:
    """Convenience: re-integrates ``image``'s own gradients (a round-trip check).

    Args:
        image: (H, W) or (H, W, C) float image.
        u0: data-term image; ``image`` if None.
        screening: lambda >= 0.

    Returns:
        float32 array of ``image``'s shape.
    """
    gx, gy = forward_gradients(image)
    guide = image if u0 is None else u0
    return screened_poisson(gx, gy, guide, screening)
