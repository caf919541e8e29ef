# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.positional import advect_positions, positional_grid


def translation_flow_cur_to_prev(height: int, width: int, dx: float, dy: float) -> np.ndarray:
    """Content moved by (dx, dy) from the previous frame to the current one."""
    flow = np.empty((height, width, 2), np.float32)
    flow[..., 0], flow[..., 1] = -dx, -dy
    return flow


class TestPositionalGrid:
    def test_normalised_coordinates(self) -> None:
        grid = positional_grid(4, 8)
        assert grid.shape == (4, 8, 2) and grid.dtype == np.float32
        np.testing.assert_allclose(grid[2, 5], (5 / 8, 2 / 4))
        assert np.count_nonzero(np.any(grid != 0, axis=2)) == 4 * 8 - 1  # only the origin is 0
        assert len(np.unique(grid[..., 0])) == 8  # not quantised

    def test_rejects_empty(self) -> None:
        with pytest.raises(InputError, match="0x5"):
            positional_grid(0, 5)


class TestAdvectPositions:
    @pytest.mark.parametrize(("dx", "dy"), [(3, -2), (-5, 4), (1.5, 0.25)])
    def test_translation(self, dx: float, dy: float) -> None:
        height, width = 40, 50
        key = positional_grid(height, width)
        moved = advect_positions(key, translation_flow_cur_to_prev(height, width, dx, dy))
        # pos_t(x, y) = pos_k(x - dx, y - dy) = ((x - dx) / W, (y - dy) / H) in the interior.
        ys, xs = np.mgrid[8 : height - 8, 8 : width - 8]
        np.testing.assert_allclose(moved[8:-8, 8:-8, 0], (xs - dx) / width, atol=1e-4)
        np.testing.assert_allclose(moved[8:-8, 8:-8, 1], (ys - dy) / height, atol=1e-4)

    def test_sequence_accumulates(self) -> None:
        height, width = 32, 32
        flow = translation_flow_cur_to_prev(height, width, 2, 1)
        guides = [positional_grid(height, width)]
        for _ in range(3):
            guides.append(advect_positions(guides[-1], flow))
        assert len(guides) == 4
        np.testing.assert_array_equal(guides[0], positional_grid(height, width))
        np.testing.assert_allclose(
            guides[3][10, 12], ((12 - 6) / width, (10 - 3) / height), atol=1e-4
        )

    def test_rejects_mismatched_flow(self) -> None:
        with pytest.raises(InputError, match="flow_cur_to_prev"):
            advect_positions(positional_grid(8, 8), np.zeros((8, 9, 2), np.float32))
