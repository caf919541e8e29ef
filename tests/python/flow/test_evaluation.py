# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.flow.evaluation import end_point_error, psnr, smooth_random_flow, synthetic_pair
from synthfx.flow.warp import backward_warp


def test_smooth_random_flow() -> None:
    flow = smooth_random_flow(120, 160, 5.0, seed=3)
    assert flow.shape == (120, 160, 2) and flow.dtype == np.float32
    assert np.linalg.norm(flow, axis=2).max() == pytest.approx(5.0, rel=1e-5)
    assert np.abs(np.diff(flow, axis=1)).max() < 0.5  # smooth: small change per pixel
    np.testing.assert_array_equal(flow, smooth_random_flow(120, 160, 5.0, seed=3))
    assert not np.array_equal(flow, smooth_random_flow(120, 160, 5.0, seed=4))


def test_synthetic_pair(small_photo: np.ndarray) -> None:
    pair = synthetic_pair(small_photo, 3.0, seed=1)
    np.testing.assert_array_equal(pair.frame_b, small_photo)
    np.testing.assert_array_equal(pair.frame_a, backward_warp(pair.frame_b, pair.flow_ab))
    assert psnr(pair.frame_a, pair.frame_b, border=8) < 30.0  # the frames really differ


def test_end_point_error() -> None:
    reference = np.zeros((10, 12, 2), np.float32)
    shifted = reference + np.array([3.0, 4.0], np.float32)
    assert end_point_error(shifted, reference) == pytest.approx(5.0)
    shifted[0] = 100.0
    assert end_point_error(shifted, reference, border=1) == pytest.approx(5.0)


def test_psnr() -> None:
    image = np.zeros((8, 8), np.float32)
    assert psnr(image, image) == float("inf")
    assert psnr(image + 0.1, image) == pytest.approx(20.0, abs=1e-4)


def test_exception() -> None:
    flow = np.zeros((10, 12, 2), np.float32)
    with pytest.raises(InputError, match="border 5"):
        end_point_error(flow, flow, border=5)
    with pytest.raises(InputError, match=r"\(10, 12, 3\)"):
        end_point_error(np.zeros((10, 12, 3), np.float32), np.zeros((10, 12, 3), np.float32))
    with pytest.raises(InputError, match="differ in shape"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)))
