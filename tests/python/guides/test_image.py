# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.image import image_guide


class TestImageGuide:
    def test_is_a_float_copy(self, photo: np.ndarray) -> None:
        guide = image_guide(photo)
        assert guide.dtype == np.float32 and guide.shape == photo.shape
        np.testing.assert_array_equal(guide, photo)
        guide[0, 0, 0] = 42.0
        assert photo[0, 0, 0] != 42.0

    def test_keeps_sub_byte_precision(self) -> None:
        image = np.full((4, 4, 3), 0.5 + 1e-5, np.float32)
        assert image_guide(image)[0, 0, 0] == np.float32(0.5 + 1e-5)

    def test_luminance_only(self) -> None:
        image = np.zeros((2, 3, 3), np.float32)
        image[..., 0], image[..., 1], image[..., 2] = 1.0, 0.5, 0.25
        guide = image_guide(image, luminance_only=True)
        assert guide.shape == (2, 3, 1)
        np.testing.assert_allclose(guide, 0.299 + 0.587 * 0.5 + 0.114 * 0.25, atol=1e-6)

    def test_drops_alpha(self) -> None:
        rgba = np.random.default_rng(0).random((5, 6, 4), dtype=np.float32)
        np.testing.assert_array_equal(image_guide(rgba), rgba[..., :3])

    def test_rejects_bad_rank(self) -> None:
        with pytest.raises(InputError, match=r"\(2, 3, 4, 5\)"):
            image_guide(np.zeros((2, 3, 4, 5)))
