# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.blend.select import select_passes, selection_mask
from synthfx.errors import InputError


class TestSelectionMask:
    def test_lower_error_wins_ties_are_half(self) -> None:
        forward = np.array([[1.0, 5.0, 2.0]], np.float32)
        reverse = np.array([[3.0, 4.0, 2.0]], np.float32)
        np.testing.assert_array_equal(selection_mask(forward, reverse), [[1.0, 0.0, 0.5]])

    def test_smoothing_softens_only_near_the_seam(self) -> None:
        forward = np.zeros((20, 40), np.float32)
        forward[:, 20:] = 2.0
        mask = selection_mask(forward, np.ones_like(forward), smoothing_sigma=2.0)
        assert mask[10, 0] == pytest.approx(1.0) and mask[10, -1] == pytest.approx(0.0, abs=1e-6)
        assert 0.0 < mask[10, 20] < 1.0 and 0.0 < mask[10, 19] < 1.0

    def test_softness_mixes_close_errors_and_keeps_clear_choices(self) -> None:
        forward = np.array([[1.0, 5.0, 2.0, 1.0, 0.0]], np.float32)
        reverse = np.array([[3.0, 4.0, 2.0, 100.0, 0.0]], np.float32)
        mask = selection_mask(forward, reverse, softness=1.0)
        # Errors 1 and 3 (mean 2): the forward weight is 1 / (1 + e^-1).
        assert mask[0, 0] == pytest.approx(1.0 / (1.0 + np.exp(-1.0)), rel=1e-6)
        assert 0.0 < mask[0, 1] < 0.5 and mask[0, 2] == 0.5 and mask[0, 4] == 0.5
        assert mask[0, 3] > 0.85
        sharp = selection_mask(forward, reverse, softness=0.01)
        np.testing.assert_allclose(sharp, [[1.0, 0.0, 0.5, 1.0, 0.5]], atol=1e-6)

    def test_rejects_mismatched_errors(self) -> None:
        with pytest.raises(InputError, match="error_reverse"):
            selection_mask(np.zeros((4, 4)), np.zeros((4, 5)))
        with pytest.raises(InputError, match="smoothing_sigma"):
            selection_mask(np.zeros((4, 4)), np.zeros((4, 4)), smoothing_sigma=-1.0)
        with pytest.raises(InputError, match="softness"):
            selection_mask(np.zeros((4, 4)), np.zeros((4, 4)), softness=float("nan"))


class TestSelectPasses:
    def test_composite_takes_pixels_of_the_better_pass(self) -> None:
        rng = np.random.default_rng(0)
        forward, reverse = rng.random((2, 6, 7, 3), dtype=np.float32)
        error_forward, error_reverse = rng.random((2, 6, 7), dtype=np.float32)
        mask, composite = select_passes(forward, reverse, error_forward, error_reverse)
        better = error_forward < error_reverse
        np.testing.assert_array_equal(mask, better.astype(np.float32))
        np.testing.assert_array_equal(composite[better], forward[better])
        np.testing.assert_array_equal(composite[~better], reverse[~better])

    def test_accepts_one_channel_error_maps(self) -> None:
        image = np.zeros((3, 4, 3), np.float32)
        mask, _ = select_passes(image, image, np.zeros((3, 4, 1)), np.ones((3, 4, 1)))
        assert mask.shape == (3, 4) and mask.min() == 1.0

    def test_rejects_mismatched_passes(self) -> None:
        with pytest.raises(InputError, match="reverse"):
            select_passes(
                np.zeros((4, 4, 3)), np.zeros((4, 4, 1)), np.zeros((4, 4)), np.zeros((4, 4))
            )
