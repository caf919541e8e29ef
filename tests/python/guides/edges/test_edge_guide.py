# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.edges import classic_edges, edge_guide, page_edges, pst_edges


class TestEdgeGuide:
    @pytest.mark.parametrize(
        ("method", "builder", "channels"),
        [("classic", classic_edges, 1), ("pst", pst_edges, 1), ("page", page_edges, 10)],
    )
    def test_dispatches(self, photo: np.ndarray, method, builder, channels: int) -> None:
        crop = photo[:48, :40]
        guide = edge_guide(crop, method)
        assert guide.shape == (48, 40, channels)
        assert guide.dtype == np.float32
        np.testing.assert_array_equal(guide, builder(crop))
        assert np.ptp(guide) > 0.01

    def test_forwards_options(self, photo: np.ndarray) -> None:
        crop = photo[:24, :24]
        np.testing.assert_array_equal(
            edge_guide(crop, "classic", sigma=3.0), classic_edges(crop, sigma=3.0)
        )

    def test_unknown_method_is_named(self) -> None:
        with pytest.raises(InputError, match="'sobel'"):
            edge_guide(np.zeros((4, 4)), "sobel")  # type: ignore[arg-type]

    def test_rejects_non_finite(self) -> None:
        image = np.zeros((4, 4, 3), np.float32)
        image[1, 1, 1] = np.nan
        with pytest.raises(InputError, match="NaN"):
            edge_guide(image)
