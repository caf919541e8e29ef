# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import DeviceUnavailableError, InputError
from synthfx.guides.edges._spectral import frequency_grid
from synthfx.guides.edges.pst import PST_PHASE_STRENGTH, pst_edges, pst_kernel, pst_phase


def step_image(height: int = 64, width: int = 64) -> np.ndarray:
    image = np.full((height, width), 0.2, dtype=np.float32)
    image[:, width // 2 :] = 0.8
    return image


class TestPstKernel:
    def test_peak_is_phase_strength_and_zero_at_dc(self) -> None:
        kernel = pst_kernel(40, 50, phase_strength=0.7, warp_strength=15.0)
        assert kernel.max() == pytest.approx(0.7)
        assert kernel[0, 0] == pytest.approx(0.0, abs=1e-12)

    def test_grows_with_radial_frequency(self) -> None:
        kernel = pst_kernel(64, 64)
        _, _, rho = frequency_grid(64, 64)
        order = np.argsort(rho.ravel())
        assert np.all(np.diff(kernel.ravel()[order]) >= -1e-12)

    def test_rejects_bad_warp(self) -> None:
        with pytest.raises(InputError, match="warp_strength"):
            pst_kernel(8, 8, warp_strength=0.0)


class TestPstPhase:
    def test_flat_image_has_zero_phase(self) -> None:
        phase = pst_phase(np.full((32, 40, 3), 0.6, np.float32))
        np.testing.assert_allclose(phase, 0.0, atol=1e-6)
        np.testing.assert_allclose(pst_edges(np.full((8, 8), 0.6))[..., 0], 0.5, atol=1e-5)

    def test_responds_at_edges_only_with_both_signs(self) -> None:
        phase = pst_phase(step_image())
        column_energy = np.abs(phase).mean(axis=0)
        # The FFT wraps, so the image border is an edge too: look at the inner half.
        inner = column_energy[16:48]
        assert abs(int(np.argmax(inner)) + 16 - 32) <= 2
        assert column_energy[20] < 0.05 * inner.max()
        # Two-sided: the dark side of the step and the bright side have opposite signs.
        assert phase[:, 29:32].mean() > 0.002
        assert phase[:, 32:35].mean() < -0.002

    def test_invariant_to_intensity_scale(self, photo: np.ndarray) -> None:
        crop = photo[100:164, 200:280]
        np.testing.assert_allclose(pst_phase(crop), pst_phase(3.0 * crop), atol=1e-6)

    def test_default_strength_is_published(self) -> None:
        assert PST_PHASE_STRENGTH == pytest.approx(0.3)

    def test_torch_matches_numpy(self, photo: np.ndarray) -> None:
        pytest.importorskip("torch")
        crop = photo[:48, :64]
        np.testing.assert_allclose(pst_phase(crop, device="cpu"), pst_phase(crop), atol=1e-6)

    def test_cuda_matches_numpy(self, photo: np.ndarray) -> None:
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            pytest.skip("no CUDA device")
        crop = photo[:64, :96]
        np.testing.assert_allclose(pst_phase(crop, device="cuda"), pst_phase(crop), atol=1e-5)

    def test_cuda_request_without_cuda_is_an_error(self) -> None:
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pytest.skip("CUDA is available here")
        with pytest.raises(DeviceUnavailableError, match="cuda"):
            pst_phase(np.ones((8, 8)), device="cuda")

    def test_morph_gives_binary_map(self, photo: np.ndarray) -> None:
        edges = pst_edges(photo[:96, :96], morph=True)
        assert edges.shape == (96, 96, 1)
        assert set(np.unique(edges)) <= {0.0, 1.0}
        assert 0 < edges.mean() < 1

    def test_matches_phycv(self, photo: np.ndarray) -> None:
        phycv = pytest.importorskip("phycv")
        crop = photo[:96, :128]
        luma = (0.299 * crop[..., 0] + 0.587 * crop[..., 1] + 0.114 * crop[..., 2]) * 255.0
        reference = phycv.PST(h=96, w=128)
        reference.load_img(img_array=luma)
        reference.init_kernel(0.3, 15)
        reference.apply_kernel(0.15, -0.5, 0.003, 0)
        ours = pst_phase(crop, 0.3, 15.0, 0.15, phycv_grid=True)
        np.testing.assert_allclose(ours, reference.pst_output, atol=1e-4)
