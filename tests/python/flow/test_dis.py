# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.flow.dis import DIS_PRESETS, DisFlow, to_grey8
from synthfx.flow.evaluation import end_point_error, psnr, synthetic_pair
from synthfx.flow.warp import backward_warp

SHIFT_X, SHIFT_Y = 3, -2
BORDER = 16


def _shifted_pair(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B is A moved by (SHIFT_X, SHIFT_Y): pixel (x, y) of A is at (x + 3, y - 2) in B."""
    return image, np.roll(image, shift=(SHIFT_Y, SHIFT_X), axis=(0, 1))


def test_smoke(small_photo: np.ndarray) -> None:
    flow = DisFlow().compute(small_photo, small_photo)
    assert flow.shape == (*small_photo.shape[:2], 2) and flow.dtype == np.float32
    assert np.abs(flow).max() < 0.1


def test_warp_direction_on_shift(small_photo: np.ndarray) -> None:
    frame_a, frame_b = _shifted_pair(small_photo)
    flow_ab = DisFlow("dis-medium").compute(frame_a, frame_b)
    interior = flow_ab[BORDER:-BORDER, BORDER:-BORDER].reshape(-1, 2)
    np.testing.assert_allclose(np.median(interior, axis=0), [SHIFT_X, SHIFT_Y], atol=0.05)
    aligned = backward_warp(frame_b, flow_ab)
    assert psnr(aligned, frame_a, border=BORDER) > 35.0
    # The opposite direction must fail: guards against a sign or A/B mix-up.
    assert psnr(backward_warp(frame_b, -flow_ab), frame_a, border=BORDER) < 25.0


@pytest.mark.parametrize("preset", sorted(DIS_PRESETS))
def test_presets_recover_smooth_warp(small_photo: np.ndarray, preset: str) -> None:
    pair = synthetic_pair(small_photo, 4.0, seed=0)
    flow = DisFlow(preset).compute(pair.frame_a, pair.frame_b)
    error = end_point_error(flow, pair.flow_ab, border=BORDER)
    # Measured on this case: fine 0.03, medium 0.09, fast 0.24, ultrafast 0.27 px; zero flow
    # 1.5 px.
    bounds = {"dis-fine": 0.06, "dis-medium": 0.15, "dis-fast": 0.35, "dis-ultrafast": 0.4}
    assert error < bounds[preset]


def test_grey_and_rgba_inputs(small_photo: np.ndarray) -> None:
    frame_a, frame_b = _shifted_pair(small_photo)
    rgba = np.concatenate([frame_a, np.ones_like(frame_a[..., :1])], axis=2)
    rgba_b = np.concatenate([frame_b, np.zeros_like(frame_b[..., :1])], axis=2)
    expected = DisFlow().compute(frame_a, frame_b)
    np.testing.assert_array_equal(DisFlow().compute(rgba, rgba_b), expected)
    grey = DisFlow().compute(frame_a.mean(axis=2), frame_b.mean(axis=2))
    assert np.median(grey[BORDER:-BORDER, BORDER:-BORDER, 0]) == pytest.approx(SHIFT_X, abs=0.05)


def test_to_grey8_clips() -> None:
    frame = np.array(
        [[[2.0, 2.0, 2.0], [-1.0, -1.0, -1.0], [0.5, 0.5, 0.5], [np.nan, 1.0, 1.0]]], np.float32
    )
    grey = to_grey8(frame)
    assert grey.dtype == np.uint8
    assert grey.tolist() == [[255, 0, 128, round(255 * (0.7152 + 0.0722))]]


def test_exception(small_photo: np.ndarray) -> None:
    with pytest.raises(InputError, match="unknown DIS preset 'dis-slow'"):
        DisFlow("dis-slow")
    with pytest.raises(InputError, match=r"differ in shape.*\(256, 320, 3\).*\(256, 300, 3\)"):
        DisFlow().compute(small_photo, small_photo[:, :300])
    with pytest.raises(InputError, match=r"frame A must be .*\(256, 320, 2\)"):
        DisFlow().compute(small_photo[..., :2], small_photo[..., :2])
