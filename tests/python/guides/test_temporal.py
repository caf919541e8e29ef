# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.temporal import warp_previous_style


class TestWarpPreviousStyle:
    def test_direction_on_a_shift(self) -> None:
        rng = np.random.default_rng(1)
        previous = rng.random((40, 48, 3), dtype=np.float32)
        dx, dy = 4, 1  # the content moved right by 4 and down by 1 from previous to current
        flow = np.empty((40, 48, 2), np.float32)
        flow[..., 0], flow[..., 1] = -dx, -dy
        warped = warp_previous_style(previous, flow)
        # The current frame shows at (x, y) what the previous one showed at (x - dx, y - dy).
        np.testing.assert_allclose(warped[dy:, dx:], previous[: 40 - dy, : 48 - dx], atol=1e-6)
        # The opposite direction would be far off (texture is uncorrelated noise).
        assert np.abs(warped[5:-5, 5:-5] - previous[6:-4, 9:-1]).mean() > 0.2

    def test_keeps_channels_and_dtype(self) -> None:
        style = np.random.default_rng(2).random((10, 12, 5), dtype=np.float32)
        warped = warp_previous_style(style, np.zeros((10, 12, 2), np.float32))
        assert warped.dtype == np.float32
        np.testing.assert_array_equal(warped, style)

    def test_rejects_wrong_flow(self) -> None:
        with pytest.raises(InputError, match="flow_cur_to_prev"):
            warp_previous_style(np.zeros((4, 4, 3)), np.zeros((4, 4, 3)))
