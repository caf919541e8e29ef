# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.blend.combine import blend_passes, blend_sequence, temporal_weights
from synthfx.errors import InputError


def texture(seed: int, shape=(48, 64, 3)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


class TestBlendPasses:
    def test_identical_passes_are_returned(self) -> None:
        image = texture(0)
        errors = texture(1, (48, 64)), texture(2, (48, 64))
        np.testing.assert_allclose(blend_passes(image, image, *errors, 0.5), image, atol=1e-4)

    def test_forward_everywhere_better_at_forward_key(self) -> None:
        forward, reverse = texture(0), texture(1)
        low, high = np.zeros((48, 64)), np.ones((48, 64))
        np.testing.assert_allclose(
            blend_passes(forward, reverse, low, high, 1.0), forward, atol=1e-4
        )

    def test_detail_comes_from_the_selected_pass(self) -> None:
        forward, reverse = texture(0), texture(1)
        low, high = np.zeros((48, 64)), np.ones((48, 64))
        result = blend_passes(forward, reverse, low, high, 0.5, screening=0.01)
        # Pixel-to-pixel differences follow the forward pass, not the 50/50 colour blend.
        detail = np.diff(result, axis=1)
        assert (
            np.abs(detail - np.diff(forward, axis=1)).mean()
            < 0.1 * np.abs(detail - np.diff(reverse, axis=1)).mean()
        )

    def test_seam_between_passes_is_hidden(self) -> None:
        base = texture(0) * 0.2
        forward, reverse = base, base + 0.5  # same detail, very different colour
        error_forward = np.zeros((48, 64), np.float32)
        error_forward[:, 32:] = 2.0  # forward better on the left, reverse on the right
        error_reverse = np.ones((48, 64), np.float32)
        result = blend_passes(forward, reverse, error_forward, error_reverse, 0.5)
        seam_jump = np.abs(result[:, 32] - result[:, 31] - (base[:, 32] - base[:, 31])).mean()
        composite_jump = 0.5
        assert seam_jump < 0.1 * composite_jump
        np.testing.assert_allclose(
            np.diff(result, axis=1)[:, 5:25], np.diff(base, axis=1)[:, 5:25], atol=0.02
        )

    def test_rejects_bad_weight(self) -> None:
        image = texture(0, (4, 4, 3))
        with pytest.raises(InputError, match=r"1\.5"):
            blend_passes(image, image, np.zeros((4, 4)), np.zeros((4, 4)), 1.5)


class TestBlendSequence:
    def test_temporal_weights(self) -> None:
        np.testing.assert_allclose(temporal_weights(5), [1.0, 0.75, 0.5, 0.25, 0.0])
        with pytest.raises(InputError, match="1"):
            temporal_weights(1)

    def test_frame_t_uses_errors_of_frame_t(self) -> None:
        count = 4
        forward = [texture(10 + t, (24, 32, 3)) for t in range(count)]
        reverse = [texture(20 + t, (24, 32, 3)) for t in range(count)]
        errors_forward = [texture(30 + t, (24, 32)) for t in range(count)]
        errors_reverse = [texture(40 + t, (24, 32)) for t in range(count)]
        blended = blend_sequence(forward, reverse, errors_forward, errors_reverse)
        assert len(blended) == count
        np.testing.assert_array_equal(blended[0], forward[0])
        np.testing.assert_array_equal(blended[-1], reverse[-1])
        weights = temporal_weights(count)
        for t in (1, 2):
            expected = blend_passes(
                forward[t], reverse[t], errors_forward[t], errors_reverse[t], weights[t]
            )
            np.testing.assert_array_equal(blended[t], expected)
            shifted = blend_passes(
                forward[t], reverse[t], errors_forward[t - 1], errors_reverse[t - 1], weights[t]
            )
            assert np.abs(blended[t] - shifted).max() > 0.05  # an off-by-one would show

    def test_rejects_ragged_inputs(self) -> None:
        frames = [texture(0, (4, 4, 3))] * 3
        errors = [np.zeros((4, 4))] * 2
        with pytest.raises(InputError, match="as many"):
            blend_sequence(frames, frames, errors, errors)
