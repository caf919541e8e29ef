# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.edges.classic import classic_edges, highpass


def step_image(height: int = 32, width: int = 48, low: float = 0.2, high: float = 0.8):
    image = np.full((height, width, 3), low, dtype=np.float32)
    image[:, width // 2 :] = high
    return image


class TestClassicEdges:
    def test_flat_image_is_offset(self) -> None:
        guide = classic_edges(np.full((16, 20, 3), 0.37, np.float32))
        assert guide.shape == (16, 20, 1)
        assert guide.dtype == np.float32
        np.testing.assert_allclose(guide, 0.5, atol=1e-6)

    def test_both_sides_of_an_edge_survive(self) -> None:
        guide = classic_edges(step_image())[..., 0]
        middle = guide.shape[1] // 2
        # Dark side dips below the offset, bright side rises above: a clipped high-pass would
        # keep only one of them.
        assert guide[:, middle - 1].max() < 0.5 - 0.05
        assert guide[:, middle].min() > 0.5 + 0.05
        np.testing.assert_allclose(guide[:, 2], 0.5, atol=1e-4)

    def test_not_clipped_and_linear_in_gain(self) -> None:
        image = step_image(low=0.0, high=1.0)
        unit = classic_edges(image, gain=1.0)[..., 0] - 0.5
        strong = classic_edges(image, gain=8.0)[..., 0] - 0.5
        np.testing.assert_allclose(strong, 8.0 * unit, atol=1e-5)
        assert strong.max() + 0.5 > 1.0 and strong.min() + 0.5 < 0.0

    def test_uses_luminance(self, photo: np.ndarray) -> None:
        crop = photo[:64, :80]
        luma = 0.299 * crop[..., 0] + 0.587 * crop[..., 1] + 0.114 * crop[..., 2]
        np.testing.assert_allclose(
            classic_edges(crop)[..., 0], 0.5 + highpass(luma.astype(np.float32)), atol=1e-6
        )

    def test_keeps_float_precision(self) -> None:
        image = step_image(low=0.5, high=0.5 + 1e-4)
        guide = classic_edges(image)[..., 0]
        assert 1e-6 < np.ptp(guide) < 2e-4  # a uint8 guide would be flat here

    def test_rejects_bad_sigma(self) -> None:
        with pytest.raises(InputError, match="sigma"):
            classic_edges(step_image(), sigma=0.0)
