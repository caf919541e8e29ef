# SPDX-License-Identifier: Apache-2.0
"""CUDA backend: equivalence with the CPU backend, determinism, errors. Skipped without a device.

The CUDA backend runs the CPU's algorithm with a parallel PatchMatch (pixels updated in four
parity phases, half-precision search features), so results are compared by quality (mean error)
and by the NNF where the answer is unique, not bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthfx.engine import cuda_available, synthesize
from synthfx.errors import EngineError

AVAILABLE, REASON = cuda_available()

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not AVAILABLE, reason=f"CUDA backend unavailable: {REASON}"),
]

FAST = {"search_vote_iters": 3, "patchmatch_iters": 3}


def texture(height: int, width: int, channels: int, seed: int, sigma: float = 1.5) -> np.ndarray:
    """Smooth random texture in [0, 1]: every patch is distinct, as in a real image."""
    import cv2

    noise = np.random.default_rng(seed).random((height, width, channels), dtype=np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), sigma)
    blurred = np.atleast_3d(blurred)
    lo, hi = blurred.min(), blurred.max()
    return np.ascontiguousarray((blurred - lo) / (hi - lo))


def identity_grid(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx, yy], axis=-1).astype(np.int32)


def both(style, guides, **params):
    cpu = synthesize(style, guides, backend="cpu", threads=2, **params)
    gpu = synthesize(style, guides, backend="cuda", **params)
    return cpu, gpu


def assert_mean_error_close(cpu, gpu, rel: float, abs_tol: float = 1.0) -> None:
    a, b = float(cpu.error.mean()), float(gpu.error.mean())
    assert abs(b - a) <= rel * a + abs_tol, f"mean error cpu {a:.3f} cuda {b:.3f}"


@pytest.fixture(scope="module")
def style() -> np.ndarray:
    return texture(120, 152, 3, seed=1)


@pytest.fixture(scope="module")
def guide() -> np.ndarray:
    return texture(120, 152, 3, seed=2)


def test_reports_device() -> None:
    assert REASON  # the device's name and compute capability


def test_result_layout(style: np.ndarray, guide: np.ndarray) -> None:
    result = synthesize(style, [(guide, guide, 2.0)], backend="cuda", **FAST)
    assert result.image.dtype == np.float32 and result.image.shape == style.shape
    assert result.nnf.dtype == np.int32 and result.nnf.shape == (*style.shape[:2], 2)
    assert result.error.dtype == np.float32 and result.error.shape == style.shape[:2]


def test_identity_matches_cpu(style: np.ndarray, guide: np.ndarray) -> None:
    cpu, gpu = both(style, [(guide, guide, 2.0)], **FAST)
    grid = identity_grid(*style.shape[:2])
    assert np.array_equal(cpu.nnf, grid)
    assert np.array_equal(gpu.nnf, grid)
    assert np.max(np.abs(gpu.image - style)) < 1e-5
    assert_mean_error_close(cpu, gpu, rel=0.02, abs_tol=1e-2)


@pytest.mark.parametrize("uniformity", [0.0, 3500.0])
def test_shift_matches_cpu(style: np.ndarray, guide: np.ndarray, uniformity: float) -> None:
    # The target guide is a window of the source guide: every target patch has its true match
    # (a rolled image would leave a wrapped strip without one, whose error is search noise).
    x0, y0 = 14, 9
    target = np.ascontiguousarray(guide[y0 : y0 + 96, x0 : x0 + 128])
    cpu, gpu = both(style, [(guide, target, 2.0)], uniformity=uniformity)
    interior = (slice(12, -12), slice(12, -12))
    offset_cpu = (cpu.nnf - identity_grid(96, 128))[interior]
    offset_gpu = (gpu.nnf - identity_grid(96, 128))[interior]
    exact_gpu = (offset_gpu[..., 0] == x0) & (offset_gpu[..., 1] == y0)
    assert exact_gpu.mean() > 0.99
    assert np.mean(np.all(offset_cpu == offset_gpu, axis=-1)) > 0.99
    assert_mean_error_close(cpu, gpu, rel=0.02)


def test_ezsynth_settings_match_cpu_quality(style: np.ndarray, guide: np.ndarray) -> None:
    # Different target content: the NNFs differ, the quality of the result must not.
    target_guide = texture(112, 136, 3, seed=3)
    second_source = texture(120, 152, 1, seed=4, sigma=3.0)
    second_target = texture(112, 136, 1, seed=5, sigma=3.0)
    guides = [(guide, target_guide, 2.0), (second_source, second_target, 1.0)]
    params = {
        "patch_size": 7,
        "search_vote_iters": 8,
        "patchmatch_iters": 4,
        "extra_pass_3x3": True,
    }
    cpu, gpu = both(style, guides, **params)
    assert gpu.image.shape == (112, 136, 3)
    assert_mean_error_close(cpu, gpu, rel=0.05)
    assert np.isfinite(gpu.image).all()
    assert gpu.image.min() >= style.min() - 1e-6 and gpu.image.max() <= style.max() + 1e-6


def test_deterministic(style: np.ndarray, guide: np.ndarray) -> None:
    height, width = style.shape[:2]
    target = np.roll(guide, (2, -5), axis=(0, 1)) * np.float32(0.9)
    mask = np.ones((height, width), np.float32)
    mask[:, :20] = 0.0
    modulation = np.linspace(0.2, 1.5, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    params = {
        "vote_mode": "weighted",
        "extra_pass_3x3": True,
        "source_mask": mask,
        "modulation": modulation,
        **FAST,
    }
    runs = [synthesize(style, [(guide, target, 1.0)], backend="cuda", **params) for _ in range(2)]
    assert np.array_equal(runs[0].image, runs[1].image)
    assert np.array_equal(runs[0].nnf, runs[1].nnf)
    assert np.array_equal(runs[0].error, runs[1].error)
    assert runs[0].nnf[..., 0].min() >= 20  # the mask holds


def test_seed_changes_result(style: np.ndarray, guide: np.ndarray) -> None:
    target = np.ascontiguousarray(guide[::-1])
    a = synthesize(style, [(guide, target, 1.0)], backend="cuda", seed=1, **FAST)
    b = synthesize(style, [(guide, target, 1.0)], backend="cuda", seed=2, **FAST)
    assert not np.array_equal(a.nnf, b.nnf)


def test_options_match_cpu_quality(style: np.ndarray, guide: np.ndarray) -> None:
    # A target unlike the source: the error is spread over the whole image, a quality measure.
    height, width = style.shape[:2]
    target = texture(height, width, 3, seed=9)
    mask = np.ones((height, width), np.float32)
    mask[: height // 3] = 0.0
    modulation = texture(height, width, 1, seed=6)[..., 0]
    for params in (
        {"vote_mode": "weighted"},
        {"source_mask": mask},
        {"modulation": modulation},
        {"style_weight": 0.0},
        {"stop_threshold": 0.0},
        {"patch_size": 3},
        {"patch_size": 9},
    ):
        cpu, gpu = both(style, [(guide, target, 2.0)], **params, **FAST)
        assert np.isfinite(gpu.error).all(), params
        assert_mean_error_close(cpu, gpu, rel=0.05)
        if "source_mask" in params:
            assert gpu.nnf[..., 1].min() >= height // 3


def test_many_channels_and_alpha(style: np.ndarray) -> None:
    # 4 style + 60 guide channels at patch 9: a patch row is 72 16-byte chunks, more than one
    # pass of a 32-lane group.
    height, width = style.shape[:2]
    rgba = np.concatenate([style, texture(height, width, 1, seed=7)], axis=-1)
    wide = texture(height, width, 60, seed=8)
    target = texture(height, width, 60, seed=10)
    cpu, gpu = both(rgba, [(wide, target, 3.0)], patch_size=9, **FAST)
    assert gpu.image.shape == (height, width, 4)
    assert_mean_error_close(cpu, gpu, rel=0.05)


def test_large_values_keep_precision(style: np.ndarray, guide: np.ndarray) -> None:
    # Far outside [0, 1]: the half-precision search features are rescaled, not overflowed.
    big = guide * np.float32(5000.0)
    result = synthesize(style * np.float32(300.0), [(big, big, 2.0)], backend="cuda", **FAST)
    assert np.array_equal(result.nnf, identity_grid(*style.shape[:2]))
    assert np.isfinite(result.error).all()


def test_different_sizes(style: np.ndarray, guide: np.ndarray) -> None:
    target = np.ascontiguousarray(guide[10:90, 20:140])
    result = synthesize(style, [(guide, target, 2.0)], backend="cuda", **FAST)
    assert result.image.shape == (80, 120, 3)
    offset = result.nnf - identity_grid(80, 120)
    assert np.mean((offset[..., 0] == 20) & (offset[..., 1] == 10)) > 0.9


BAD_INPUTS = [
    ("size_mismatch", lambda s: ([(s[:, :100], s, 1.0)], {})),
    ("size_mismatch", lambda s: ([(s, s[..., :2], 1.0)], {})),
    ("invalid_argument", lambda s: ([(s, s, 1.0)], {"patch_size": 4})),
    ("invalid_argument", lambda s: ([(s, s, -1.0)], {})),
    ("invalid_argument", lambda s: ([(s, s, 1.0)], {"pyramid_levels": 9})),
    ("invalid_argument", lambda s: ([], {"style_weight": 0.0})),
    ("invalid_argument", lambda s: ([(s, s, 1.0)], {"source_mask": np.zeros(s.shape[:2])})),
]


@pytest.mark.parametrize(("code", "make"), BAD_INPUTS)
def test_bad_inputs_raise_as_on_cpu(style: np.ndarray, code: str, make) -> None:
    guides, params = make(style)
    with pytest.raises(EngineError) as on_cpu:
        synthesize(style, guides, backend="cpu", **params)
    with pytest.raises(EngineError) as on_cuda:
        synthesize(style, guides, backend="cuda", **params)
    assert on_cuda.value.code == on_cpu.value.code == code
    assert str(on_cuda.value) == str(on_cpu.value)


def test_non_finite_input_raises_as_on_cpu(style: np.ndarray) -> None:
    broken = style.copy()
    broken[5, 7, 1] = np.nan
    for backend in ("cpu", "cuda"):
        with pytest.raises(EngineError, match="non-finite value") as info:
            synthesize(style, [(style, broken, 1.0)], backend=backend)
        assert info.value.code == "non_finite"
