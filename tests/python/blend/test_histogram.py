# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.blend.histogram import histogram_blend
from synthfx.errors import InputError


def noise(seed: int, shape=(128, 128, 3), mean: float = 0.5, std: float = 0.1) -> np.ndarray:
    return (mean + std * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


class TestHistogramBlend:
    def test_endpoints_return_inputs(self) -> None:
        a, b = noise(0), noise(1, mean=0.3, std=0.2)
        np.testing.assert_allclose(histogram_blend(a, b, 1.0), a, atol=1e-5)
        np.testing.assert_allclose(histogram_blend(a, b, 0.0), b, atol=1e-5)

    @pytest.mark.parametrize("weight", [0.5, 0.3])
    def test_preserves_contrast_of_decorrelated_inputs(self, weight: float) -> None:
        a, b = noise(0), noise(1)
        blended = histogram_blend(a, b, weight)
        linear = weight * a + (1 - weight) * b
        assert blended.std() == pytest.approx(0.1, rel=0.03)
        assert linear.std() < 0.1 * np.sqrt(weight**2 + (1 - weight) ** 2) * 1.03
        assert blended.mean() == pytest.approx(0.5, abs=1e-3)
        # still a blend: correlated with both inputs, more with the heavier one
        corr_a = np.corrcoef(blended.ravel(), a.ravel())[0, 1]
        corr_b = np.corrcoef(blended.ravel(), b.ravel())[0, 1]
        assert corr_a > 0.2 and corr_b > 0.2
        assert (corr_a > corr_b) == (weight > 0.5) or weight == 0.5

    def test_reference_statistics_are_matched(self) -> None:
        a, b = noise(0), noise(1)
        reference = noise(2, mean=0.7, std=0.05)
        blended = histogram_blend(a, b, 0.4, reference=reference)
        np.testing.assert_allclose(
            blended.mean(axis=(0, 1)), reference.mean(axis=(0, 1)), atol=1e-5
        )
        np.testing.assert_allclose(blended.std(axis=(0, 1)), reference.std(axis=(0, 1)), rtol=1e-4)

    def test_correlated_inputs_are_not_oversharpened(self) -> None:
        a = noise(0)
        blended = histogram_blend(a, a, 0.5, reference=a)
        np.testing.assert_allclose(blended, a, atol=1e-5)

    def test_weight_map(self) -> None:
        a, b = noise(0, shape=(16, 16, 3)), noise(1, shape=(16, 16, 3))
        np.testing.assert_allclose(histogram_blend(a, b, np.ones((16, 16))), a, atol=1e-5)
        left_right = np.zeros((16, 16), np.float32)
        left_right[:, :8] = 1.0
        mixed = histogram_blend(a, b, left_right)
        assert np.abs(mixed[:, :8] - a[:, :8]).max() < 0.05
        assert np.abs(mixed[:, 8:] - b[:, 8:]).max() < 0.05

    def test_float_no_clipping(self) -> None:
        a, b = noise(0, mean=1.2, std=0.5), noise(1, mean=-0.3, std=0.5)
        blended = histogram_blend(a, b, 0.5)
        assert blended.max() > 1.0 and blended.min() < 0.0
        assert blended.dtype == np.float32

    def test_single_channel(self) -> None:
        a, b = noise(0, shape=(8, 9)), noise(1, shape=(8, 9))
        assert histogram_blend(a, b, 0.5).shape == (8, 9)

    def test_rejects_bad_weight(self) -> None:
        a = noise(0, shape=(4, 4, 3))
        with pytest.raises(InputError, match=r"\[0, 1\]"):
            histogram_blend(a, a, 1.5)
        with pytest.raises(InputError, match=r"\(4, 4\)"):
            histogram_blend(a, a, np.ones((3, 4)))
