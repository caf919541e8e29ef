# SPDX-License-Identifier: Apache-2.0
"""CUDA backend: equivalence with the CPU backend, determinism, errors. Skipped without a device.

The CUDA backend runs the CPU's algorithm with a parallel PatchMatch (pixels updated in four
parity phases, half-precision search features), so results are compared by quality (mean error)
and by the NNF where the answer is unique, not bit for bit.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from synthfx.engine import cuda_available, last_cuda_peak_bytes, synthesize
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


def test_peak_bytes_reported(style: np.ndarray, guide: np.ndarray) -> None:
    synthesize(style, [(guide, guide, 2.0)], backend="cuda", **FAST)
    small = last_cuda_peak_bytes()
    height, width = style.shape[:2]
    # At least the finest level's source features (style + guide channels, float32).
    assert small >= height * width * 6 * 4
    big_style = np.tile(style, (2, 2, 1))
    big_guide = np.tile(guide, (2, 2, 1))
    synthesize(big_style, [(big_guide, big_guide, 2.0)], backend="cuda", **FAST)
    assert last_cuda_peak_bytes() > 2 * small  # grows with the image
    synthesize(style, [(guide, guide, 2.0)], backend="cpu", **FAST)
    assert last_cuda_peak_bytes() > 2 * small  # CPU runs leave it alone


def test_progress_and_cancel(style: np.ndarray, guide: np.ndarray) -> None:
    """The progress hook on the device: monotone fractions ending at 1, the same bits as a run
    without it, a cancel within one step, and the device left usable."""
    from synthfx.errors import CancelledError

    guides = [(guide, np.roll(guide, 3, axis=1), 2.0)]
    params = {"extra_pass_3x3": True, **FAST}
    plain = synthesize(style, guides, backend="cuda", **params)
    fractions: list[float] = []
    watched = synthesize(style, guides, backend="cuda", progress=fractions.append, **params)
    assert np.array_equal(watched.image, plain.image)
    assert np.array_equal(watched.nnf, plain.nnf)
    assert np.array_equal(watched.error, plain.error)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions.count(1.0) == 1
    assert all(b >= a for a, b in pairwise(fractions))
    made: list[float] = []

    def cancel_at_half(fraction: float) -> bool:
        made.append(fraction)
        return fraction >= 0.5

    with pytest.raises(CancelledError, match="cancelled by the progress callback"):
        synthesize(style, guides, backend="cuda", progress=cancel_at_half, **params)
    assert made[-1] >= 0.5 and all(f < 0.5 for f in made[:-1])
    assert len(made) < len(fractions)
    again = synthesize(style, guides, backend="cuda", **params)
    assert np.array_equal(again.image, plain.image)


# ---- CUDA arrays in and out (DLPack, torch as the producer)


@pytest.fixture(scope="module")
def torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device (CPU build of torch?)")
    return torch


def _cuda(torch_cuda, array: np.ndarray):
    return torch_cuda.from_numpy(np.ascontiguousarray(array)).cuda()


def _assert_same(device_result, host_result) -> None:
    assert np.array_equal(device_result.image.cpu().numpy(), host_result.image)
    assert np.array_equal(device_result.nnf.cpu().numpy(), host_result.nnf)
    assert np.array_equal(device_result.error.cpu().numpy(), host_result.error)


def test_device_arrays_in_and_out(torch_cuda, style: np.ndarray, guide: np.ndarray) -> None:
    torch = torch_cuda
    target = np.ascontiguousarray(guide[::-1])
    on_host = synthesize(style, [(guide, target, 2.0)], backend="cuda", **FAST)
    on_device = synthesize(
        _cuda(torch, style),
        [(_cuda(torch, guide), _cuda(torch, target), 2.0)],
        backend="cuda",
        **FAST,
    )
    for array, dtype, shape in (
        (on_device.image, torch.float32, style.shape),
        (on_device.nnf, torch.int32, (*style.shape[:2], 2)),
        (on_device.error, torch.float32, style.shape[:2]),
    ):
        assert isinstance(array, torch.Tensor) and array.is_cuda
        assert array.dtype == dtype and tuple(array.shape) == tuple(shape)
    # The device pyramid rounds as the host one does: the same job gives the same bits.
    _assert_same(on_device, on_host)


def test_device_arrays_with_every_option(torch_cuda, style: np.ndarray, guide: np.ndarray) -> None:
    torch = torch_cuda
    height, width = style.shape[:2]
    target = texture(height - 8, width - 16, 3, seed=11)
    second = texture(height, width, 1, seed=12)
    second_target = texture(height - 8, width - 16, 1, seed=13)
    mask = np.ones((height, width), np.float32)
    mask[:, :30] = 0.0
    modulation = texture(height - 8, width - 16, 1, seed=14)[..., 0]
    params = {"vote_mode": "weighted", "extra_pass_3x3": True, "patch_size": 7, **FAST}
    on_host = synthesize(
        style,
        [(guide, target, 2.0), (second, second_target, 0.5)],
        source_mask=mask,
        modulation=modulation,
        backend="cuda",
        **params,
    )
    on_device = synthesize(
        _cuda(torch, style),
        [
            (_cuda(torch, guide), _cuda(torch, target), 2.0),
            (_cuda(torch, second)[..., 0], _cuda(torch, second_target)[..., 0], 0.5),  # (H, W)
        ],
        source_mask=_cuda(torch, mask).double(),  # converted on the device
        modulation=_cuda(torch, modulation.T).T,  # not contiguous
        backend="cuda",
        **params,
    )
    _assert_same(on_device, on_host)
    assert int(on_device.nnf[..., 0].min()) >= 30


def test_device_input_waits_for_its_stream(torch_cuda, style: np.ndarray, guide: np.ndarray):
    torch = torch_cuda
    expected = synthesize(style, [(guide, guide, 2.0)], backend="cuda", **FAST)
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        # Long work queued before the input is written: reading early would see zeros.
        big = torch.rand(4096, 4096, device="cuda")
        for _ in range(20):
            big = big @ big / 4096.0
        device_style = torch.zeros(style.shape, device="cuda") + _cuda(torch, style)
        device_guide = torch.zeros(guide.shape, device="cuda") + _cuda(torch, guide)
        result = synthesize(
            device_style, [(device_guide, device_guide, 2.0)], backend="cuda", **FAST
        )
    _assert_same(result, expected)


def test_device_result_outlives_input(torch_cuda, style: np.ndarray, guide: np.ndarray) -> None:
    import gc

    torch = torch_cuda
    device_style, device_guide = _cuda(torch, style), _cuda(torch, guide)
    result = synthesize(device_style, [(device_guide, device_guide, 2.0)], backend="cuda", **FAST)
    del device_style, device_guide
    gc.collect()
    torch.cuda.empty_cache()
    assert np.max(np.abs(result.image.cpu().numpy() - style)) < 1e-5
    image = result.image.clone()
    del result
    gc.collect()
    assert torch.isfinite(image).all()


def test_device_input_peak_bytes(torch_cuda, style: np.ndarray, guide: np.ndarray) -> None:
    torch = torch_cuda
    synthesize(
        _cuda(torch, style),
        [(_cuda(torch, guide), _cuda(torch, guide), 2.0)],
        backend="cuda",
        **FAST,
    )
    height, width = style.shape[:2]
    assert last_cuda_peak_bytes() >= height * width * 6 * 4


@pytest.mark.parametrize("backend", ["cpu", "auto"])
def test_device_input_needs_cuda_backend(torch_cuda, style: np.ndarray, backend: str) -> None:
    device_style = _cuda(torch_cuda, style)
    with pytest.raises(EngineError, match="CUDA device memory") as info:
        synthesize(device_style, [(device_style, device_style, 1.0)], backend=backend)
    assert info.value.code == "invalid_argument"


def test_device_input_mixed_with_host(torch_cuda, style: np.ndarray) -> None:
    device_style = _cuda(torch_cuda, style)
    with pytest.raises(EngineError, match="guide 0 source lies on the host"):
        synthesize(device_style, [(style, device_style, 1.0)], backend="cuda")


@pytest.mark.parametrize(("code", "make"), BAD_INPUTS)
def test_device_bad_inputs_raise_as_on_host(torch_cuda, style: np.ndarray, code: str, make):
    torch = torch_cuda
    guides, params = make(style)
    with pytest.raises(EngineError) as on_host:
        synthesize(style, guides, backend="cuda", **params)
    device_guides = [(_cuda(torch, s), _cuda(torch, t), w) for s, t, w in guides]
    device_params = {
        k: _cuda(torch, np.asarray(v, np.float32)) if isinstance(v, np.ndarray) else v
        for k, v in params.items()
    }
    with pytest.raises(EngineError) as on_device:
        synthesize(_cuda(torch, style), device_guides, backend="cuda", **device_params)
    assert on_device.value.code == on_host.value.code == code
    assert str(on_device.value) == str(on_host.value)


def test_device_pixel_checks_match_host(torch_cuda, style: np.ndarray) -> None:
    torch = torch_cuda
    height, width = style.shape[:2]
    broken = style.copy()
    broken[5, 7, 1] = np.inf
    broken[9, 2, 0] = np.nan  # later in row-major order: the first one is reported
    negative = np.ones((height, width), np.float32)
    negative[3, 4] = -0.5
    negative[30, 1] = -2.0
    rim_only = np.zeros((height, width), np.float32)
    rim_only[:2] = 1.0  # inside the patch radius of the border only
    cases = [
        ((style, [(style, broken, 1.0)]), {}),
        ((style, [(style, style, 1.0)]), {"modulation": negative}),
        ((style, [(style, style, 1.0)]), {"source_mask": rim_only}),
    ]
    for (s, guides), extra in cases:
        with pytest.raises(EngineError) as on_host:
            synthesize(s, guides, backend="cuda", **extra)
        with pytest.raises(EngineError) as on_device:
            synthesize(
                _cuda(torch, s),
                [(_cuda(torch, a), _cuda(torch, b), w) for a, b, w in guides],
                backend="cuda",
                **{k: _cuda(torch, v) for k, v in extra.items()},
            )
        assert str(on_device.value) == str(on_host.value)
        assert on_device.value.code == on_host.value.code
