# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides.edges.page import (
    PAGE_DIRECTION_BINS,
    combine_orientations,
    page_directions,
    page_edges,
    page_kernels,
    page_phase,
)


def vertical_step(height: int = 64, width: int = 64) -> np.ndarray:
    """Intensity changes along x: a vertical edge."""
    image = np.full((height, width), 0.2, dtype=np.float32)
    image[:, width // 2 :] = 0.8
    return image


class TestPageKernels:
    def test_directions_start_at_one_degree(self) -> None:
        directions = page_directions(10)
        assert directions[0] == pytest.approx(np.pi / 180)
        np.testing.assert_allclose(np.diff(directions), np.pi / 10)
        assert directions[-1] < np.pi

    def test_finite_and_bounded_by_strengths(self) -> None:
        kernels = page_kernels(33, 31, s1=0.8, s2=0.5)  # odd sizes hit zero frequency exactly
        assert kernels.shape == (PAGE_DIRECTION_BINS, 33, 31)
        assert np.isfinite(kernels).all()
        assert kernels.max() <= 0.8 * 0.5 + 1e-9
        assert kernels.max() > 0.2 * 0.8 * 0.5
        assert np.all(kernels[:, 0, 0] == 0)

    def test_rejects_bad_parameters(self) -> None:
        with pytest.raises(InputError, match="sigma_1"):
            page_kernels(8, 8, sigma_1=0.0)
        with pytest.raises(InputError, match="direction_bins"):
            page_directions(0)


class TestPagePhase:
    def test_orientation_selectivity(self) -> None:
        vertical = np.abs(page_phase(vertical_step())).mean(axis=(0, 1))
        horizontal = np.abs(page_phase(vertical_step().T.copy())).mean(axis=(0, 1))
        # Bin 0 (1 degree) passes horizontal frequencies: vertical edges; bin 5 (91 degrees)
        # passes vertical frequencies: horizontal edges.
        assert vertical[0] > 20 * vertical[5]
        assert horizontal[5] > 20 * horizontal[0]
        assert int(np.argmax(vertical)) == 0 and int(np.argmax(horizontal)) == 5

    def test_flat_image_has_zero_phase(self) -> None:
        np.testing.assert_allclose(page_phase(np.full((24, 30), 0.4)), 0.0, atol=1e-6)

    def test_output_layouts(self, photo: np.ndarray) -> None:
        crop = photo[:40, :56]
        phase = page_phase(crop)
        assert page_edges(crop).shape == (40, 56, 10)
        assert page_edges(crop, output="sectors").shape == (40, 56, 3)
        magnitude = page_edges(crop, output="magnitude", gain=1.0, offset=0.0)[..., 0]
        np.testing.assert_allclose(np.abs(magnitude), np.abs(phase).max(axis=2), atol=1e-7)
        sectors = combine_orientations(phase, "sectors")
        np.testing.assert_allclose(sectors[..., 0], phase[..., :4].mean(axis=2), atol=1e-7)
        with pytest.raises(InputError, match="'bogus'"):
            combine_orientations(phase, "bogus")  # type: ignore[arg-type]

    def test_guide_is_affine_in_phase(self, photo: np.ndarray) -> None:
        crop = photo[:32, :32]
        np.testing.assert_allclose(
            page_edges(crop, gain=7.0, offset=0.25), 0.25 + 7.0 * page_phase(crop), atol=1e-6
        )

    def test_torch_matches_numpy(self, photo: np.ndarray) -> None:
        pytest.importorskip("torch")
        crop = photo[:32, :48]
        np.testing.assert_allclose(page_phase(crop, device="cpu"), page_phase(crop), atol=1e-6)

    def test_matches_phycv(self, photo: np.ndarray) -> None:
        phycv = pytest.importorskip("phycv")
        crop = photo[:96, :128]
        luma = (0.299 * crop[..., 0] + 0.587 * crop[..., 1] + 0.114 * crop[..., 2]) * 255.0
        reference = phycv.PAGE(direction_bins=10, h=96, w=128)
        reference.load_img(img_array=luma)
        reference.init_kernel(0.0, 0.35, 0.05, 0.7, 0.8, 0.8)
        reference.apply_kernel(0.08, -1.0, 0.0004, 0)
        ours = page_phase(crop, phycv_grid=True)
        np.testing.assert_allclose(ours, reference.page_output, atol=1e-4)
