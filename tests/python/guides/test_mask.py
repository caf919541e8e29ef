# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.mask import feather_mask, mask_guide


def half_mask(height: int = 20, width: int = 40) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[:, width // 2 :] = 1.0
    return mask


class TestMaskGuide:
    def test_shape_and_invert(self) -> None:
        mask = half_mask()
        guide = mask_guide(mask)
        assert guide.shape == (20, 40, 1) and guide.dtype == np.float32
        np.testing.assert_array_equal(guide[..., 0], mask)
        np.testing.assert_array_equal(mask_guide(mask[..., None], invert=True)[..., 0], 1 - mask)

    def test_accepts_boolean_masks(self) -> None:
        mask = half_mask() > 0.5
        np.testing.assert_array_equal(mask_guide(mask)[..., 0], half_mask())

    def test_rejects_colour(self) -> None:
        with pytest.raises(InputError, match="mask"):
            mask_guide(np.zeros((4, 4, 3)))


class TestFeatherMask:
    def test_zero_radius_is_identity(self) -> None:
        np.testing.assert_array_equal(feather_mask(half_mask(), 0), half_mask())

    @pytest.mark.parametrize("kind", ["gaussian", "box"])
    def test_soft_monotonic_transition(self, kind: str) -> None:
        row = feather_mask(half_mask(), 4, kind=kind)[10]  # type: ignore[arg-type]
        assert np.all(np.diff(row) >= -1e-6)
        assert row[0] == pytest.approx(0.0, abs=1e-4) and row[-1] == pytest.approx(1.0, abs=1e-4)
        assert 0.1 < row[19] < 0.9 and 0.1 < row[20] < 0.9
        assert row[14] < 0.05 and row[25] > 0.95  # the ramp stays within about the radius

    def test_box_is_linear_ramp(self) -> None:
        row = feather_mask(half_mask(), 2, kind="box")[10]
        np.testing.assert_allclose(row[17:23], [0, 0.2, 0.4, 0.6, 0.8, 1.0], atol=1e-6)

    def test_rejects_bad_arguments(self) -> None:
        with pytest.raises(InputError, match="-1"):
            feather_mask(half_mask(), -1)
        with pytest.raises(InputError, match="'disk'"):
            feather_mask(half_mask(), 2, kind="disk")  # type: ignore[arg-type]
