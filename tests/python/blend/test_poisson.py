# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

from synthfx.blend.poisson import (
    divergence,
    forward_gradients,
    reconstruct_from_gradients,
    screened_poisson,
)
from synthfx.errors import InputError


def grid_system(height: int, width: int, screening: float) -> sparse.csr_matrix:
    """lambda I + L for the 4-neighbour graph Laplacian L of an explicit 2-D grid."""
    index = np.arange(height * width).reshape(height, width)
    pairs = np.concatenate(
        [
            np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),  # within rows only
            np.stack([index[:-1].ravel(), index[1:].ravel()], axis=1),
        ]
    )
    count = height * width
    adjacency = sparse.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(count, count)
    )
    adjacency = adjacency + adjacency.T
    degree = sparse.diags(np.asarray(adjacency.sum(axis=1)).ravel())
    return (screening * sparse.identity(count) + degree - adjacency).tocsr()


class TestGradients:
    def test_forward_differences_with_neumann_border(self) -> None:
        image = np.arange(12, dtype=np.float32).reshape(3, 4) ** 2
        gx, gy = forward_gradients(image)
        np.testing.assert_array_equal(gx[:, :-1], image[:, 1:] - image[:, :-1])
        np.testing.assert_array_equal(gy[:-1], image[1:] - image[:-1])
        assert not gx[:, -1].any() and not gy[-1].any()

    def test_divergence_is_negative_adjoint(self) -> None:
        rng = np.random.default_rng(0)
        u = rng.standard_normal((9, 11, 2)).astype(np.float32)
        gx, gy = rng.standard_normal((2, 9, 11, 2)).astype(np.float32)
        ux, uy = forward_gradients(u)
        inner = float(np.sum(ux.astype(np.float64) * gx) + np.sum(uy.astype(np.float64) * gy))
        assert inner == pytest.approx(
            -float(np.sum(u.astype(np.float64) * divergence(gx, gy))), rel=1e-5
        )


class TestScreenedPoisson:
    def test_exact_reconstruction_from_own_gradients(self, photo: np.ndarray) -> None:
        image = photo[200:456, 300:620]
        np.testing.assert_allclose(
            reconstruct_from_gradients(image, screening=1e-6), image, atol=2e-5
        )

    def test_content_comes_from_the_gradients(self, photo: np.ndarray) -> None:
        image = photo[200:456, 300:620]
        flat = np.broadcast_to(image.mean(axis=(0, 1)), image.shape)
        # u0 only sets the mean; everything else is re-integrated from float32 gradients.
        for screening in (0.0, 1e-9):
            np.testing.assert_allclose(
                reconstruct_from_gradients(image, flat, screening), image, atol=2e-4
            )

    def test_matches_explicit_grid_solver(self) -> None:
        rng = np.random.default_rng(1)
        height, width, screening = 7, 13, 0.3
        gx, gy, u0 = rng.standard_normal((3, height, width)).astype(np.float32)
        ours = screened_poisson(gx, gy, u0, screening)
        rhs = screening * u0.astype(np.float64) - divergence(gx, gy).astype(np.float64)
        reference = spsolve(grid_system(height, width, screening), rhs.ravel())
        np.testing.assert_allclose(ours.ravel(), reference, atol=1e-5)

    def test_no_row_wraparound(self) -> None:
        # A hard left/right contrast: column 0 is 0, the last column is 1 in every row. In a
        # solver that flattens rows, (y, W-1) neighbours (y+1, 0) and the step leaks across.
        height, width = 16, 24
        image = np.zeros((height, width), np.float32)
        image[:, width // 2 :] = 1.0
        result = reconstruct_from_gradients(image, np.full_like(image, 0.5), screening=1e-6)
        np.testing.assert_allclose(result, image, atol=1e-4)
        # A gradient "out of the image" past the last column must change nothing.
        u0 = np.random.default_rng(2).random((height, width), dtype=np.float32)
        gx, gy = forward_gradients(u0)
        gx[:, -1] = 5.0
        gy[-1] = -3.0
        np.testing.assert_allclose(screened_poisson(gx, gy, u0, 0.1), u0, atol=1e-5)

    def test_large_screening_returns_guide(self) -> None:
        rng = np.random.default_rng(3)
        gx, gy, u0 = rng.standard_normal((3, 20, 30, 3)).astype(np.float32)
        errors = [
            np.abs(screened_poisson(gx, gy, u0, screening) - u0).max()
            for screening in (1e2, 1e4, 1e8)
        ]
        # u - u0 = -(div g + Laplacian u0) / lambda + O(1 / lambda^2): shrinks like 1 / lambda.
        assert 0.05 < errors[0] < 0.5
        assert errors[1] == pytest.approx(errors[0] / 100, rel=0.05)
        assert errors[2] < 1e-5

    def test_channels_are_independent(self) -> None:
        rng = np.random.default_rng(4)
        gx, gy, u0 = rng.standard_normal((3, 10, 12, 3)).astype(np.float32)
        together = screened_poisson(gx, gy, u0, 0.2)
        for channel in range(3):
            alone = screened_poisson(gx[..., channel], gy[..., channel], u0[..., channel], 0.2)
            np.testing.assert_allclose(together[..., channel], alone, atol=1e-6)

    def test_keeps_guide_mean(self) -> None:
        rng = np.random.default_rng(5)
        gx, gy, u0 = rng.standard_normal((3, 15, 17)).astype(np.float32)
        for screening in (0.0, 0.05):
            result = screened_poisson(gx, gy, u0, screening)
            assert result.mean() == pytest.approx(u0.mean(), abs=1e-5)

    def test_rejects_bad_input(self) -> None:
        field = np.zeros((4, 5), np.float32)
        with pytest.raises(InputError, match="-1"):
            screened_poisson(field, field, field, -1.0)
        with pytest.raises(InputError, match="u0"):
            screened_poisson(field, field, np.zeros((4, 6)), 1.0)
