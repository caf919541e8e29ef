# SPDX-License-Identifier: Apache-2.0
"""Behaviour of the native engine through synthfx.engine (CPU backend)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from synthfx.engine import SynthesisParams, check_params, cuda_available, synthesize
from synthfx.errors import DeviceUnavailableError, EngineError
from synthfx_testing import load_png

# Small, fast settings; the algorithm is the same at any size.
FAST = {"search_vote_iters": 3, "patchmatch_iters": 3, "threads": 2}


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(peak**2 / mse)


@pytest.fixture(scope="module")
def crop(photo: np.ndarray) -> np.ndarray:
    """A textured 128x160 crop of a real painting."""
    return np.ascontiguousarray(photo[300:428, 420:580])


@pytest.fixture(scope="module")
def guide_crop(crop: np.ndarray) -> np.ndarray:
    """A textured guide that identifies every position (flat guides would not)."""
    luminance = crop @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    gy, gx = np.gradient(luminance)
    return np.ascontiguousarray(np.stack([luminance, 0.5 + 4 * gx, 0.5 + 4 * gy], axis=-1))


def identity_grid(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx, yy], axis=-1).astype(np.int32)


def test_smoke(crop: np.ndarray) -> None:
    result = synthesize(crop, [(crop, crop, 1.0)], **FAST)
    assert result.image.dtype == np.float32 and result.image.shape == crop.shape
    assert result.nnf.dtype == np.int32 and result.nnf.shape == (*crop.shape[:2], 2)
    assert result.error.dtype == np.float32 and result.error.shape == crop.shape[:2]


def test_identity(crop: np.ndarray, guide_crop: np.ndarray) -> None:
    result = synthesize(crop, [(guide_crop, guide_crop, 2.0)], **FAST)
    assert np.array_equal(result.nnf, identity_grid(*crop.shape[:2]))
    assert np.max(np.abs(result.image - crop)) < 1e-5
    assert float(result.error.max()) < 1e-2


def test_shift_recovers_translation(crop: np.ndarray) -> None:
    dx, dy = 7, -4
    target = np.roll(crop, (dy, dx), axis=(0, 1))
    result = synthesize(crop, [(crop, target, 1.0)], uniformity=0.0, **FAST)
    offset = result.nnf - identity_grid(*crop.shape[:2])
    interior = offset[12:-12, 12:-12]
    exact = (interior[..., 0] == -dx) & (interior[..., 1] == -dy)
    assert exact.mean() > 0.99
    assert psnr(result.image[12:-12, 12:-12], target[12:-12, 12:-12]) > 40.0


def test_shift_with_default_uniformity(crop: np.ndarray) -> None:
    # The uniformity term resists a few re-arrangements in flat areas; most of the shift holds.
    dx, dy = 5, 3
    target = np.roll(crop, (dy, dx), axis=(0, 1))
    result = synthesize(crop, [(crop, target, 1.0)], threads=2)
    offset = result.nnf - identity_grid(*crop.shape[:2])
    interior = offset[12:-12, 12:-12]
    exact = (interior[..., 0] == -dx) & (interior[..., 1] == -dy)
    assert exact.mean() > 0.6
    assert psnr(result.image[12:-12, 12:-12], target[12:-12, 12:-12]) > 27.0


def distinct_sources(nnf: np.ndarray) -> int:
    return len(np.unique(nnf.reshape(-1, 2), axis=0))


def test_uniformity_spreads_source_usage(crop: np.ndarray) -> None:
    # Target guide is one flat grey: without uniformity every pixel wants the same few sources.
    # Source guide: a gentle horizontal ramp; target guide: its middle value everywhere. Without
    # the uniformity term every target pixel copies the same source column.
    height, width = crop.shape[:2]
    ramp = np.repeat(np.linspace(0.3, 0.7, width, dtype=np.float32)[None, :], height, axis=0)
    source_guide = ramp[..., None]
    target_guide = np.full_like(source_guide, 0.5)
    guides = [(source_guide, target_guide, 1.0)]
    greedy = synthesize(crop, guides, uniformity=0.0, style_weight=0.0, **FAST)
    uniform = synthesize(crop, guides, uniformity=3500.0, style_weight=0.0, **FAST)
    greedy_cols = np.bincount(greedy.nnf[..., 0].ravel(), minlength=width)
    uniform_cols = np.bincount(uniform.nnf[..., 0].ravel(), minlength=width)
    assert np.count_nonzero(uniform_cols) > 5 * np.count_nonzero(greedy_cols)
    assert uniform_cols.max() < greedy_cols.max() / 5
    assert distinct_sources(uniform.nnf) > distinct_sources(greedy.nnf)


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_deterministic_across_thread_counts(crop: np.ndarray, threads: int) -> None:
    target = np.roll(crop, (3, -6), axis=(0, 1)) * np.float32(0.9)
    reference = synthesize(crop, [(crop, target, 1.0)], threads=1, search_vote_iters=2)
    result = synthesize(crop, [(crop, target, 1.0)], threads=threads, search_vote_iters=2)
    assert np.array_equal(result.image, reference.image)
    assert np.array_equal(result.nnf, reference.nnf)
    assert np.array_equal(result.error, reference.error)


def test_seed_changes_result(crop: np.ndarray) -> None:
    target = np.ascontiguousarray(crop[::-1])
    a = synthesize(crop, [(crop, target, 1.0)], seed=1, **FAST)
    b = synthesize(crop, [(crop, target, 1.0)], seed=2, **FAST)
    assert not np.array_equal(a.nnf, b.nnf)


def test_float_values_above_one_survive(crop: np.ndarray, guide_crop: np.ndarray) -> None:
    hdr = crop * np.float32(6.0)  # highlights far above 1.0
    result = synthesize(hdr, [(guide_crop, guide_crop, 2.0)], **FAST)
    assert np.max(np.abs(result.image - hdr)) < 1e-4
    assert result.image.max() > 4.0


def test_content_entering_the_frame_leaves_no_border_streaks(ebsynth_data: Path) -> None:
    # Known answer: the target is the facestyle source moved by (7, 5) px, so content enters at
    # the left and top. Patches centred on the border used to vote the replicated edge inward
    # (streaks): the outer 16 px of the valid region scored below the whole (21.2 vs 21.7 dB).
    import cv2

    def half(name: str) -> np.ndarray:
        image = load_png(ebsynth_data / "facestyle" / name)
        return cv2.resize(image, (405, 500), interpolation=cv2.INTER_AREA)

    dx, dy = 7, 5

    def source(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[dy:, dx:])

    def target(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[:-dy, :-dx])

    style = half("source_painting.png")
    guides = [
        (source(half(f"source_{n}.png")), target(half(f"source_{n}.png")), w)
        for n, w in (("Gapp", 0.5), ("Gseg", 1.5), ("Gpos", 10.0))
    ]
    result = synthesize(source(style), guides, threads=2)
    valid = (slice(dy, None), slice(dx, None))
    output, truth = result.image[valid], target(style)[valid]
    band = np.ones(output.shape[:2], bool)
    band[16:-16, 16:-16] = False
    whole_db = psnr(output, truth)
    band_db = psnr(output[band], truth[band])
    assert band_db > whole_db + 0.5, (whole_db, band_db)
    assert band_db > 22.5


def test_alpha_is_carried(crop: np.ndarray, guide_crop: np.ndarray) -> None:
    height, width = crop.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    radius = np.hypot(xx - 70.0, yy - 60.0)
    alpha = np.clip((45.0 - radius) / 6.0, 0.0, 1.0).astype(np.float32)  # soft-edged matte
    rgba = np.concatenate([crop, alpha[..., None]], axis=-1)
    target_guide = np.roll(guide_crop, (0, 9), axis=(0, 1))
    result = synthesize(rgba, [(guide_crop, target_guide, 2.0)], uniformity=0.0, **FAST)
    assert result.image.shape == (height, width, 4)
    # Alpha travels with the colour: it equals the source alpha the NNF points to (voted).
    interior = (slice(12, -12), slice(12, -12))
    assert psnr(result.image[..., 3][interior], np.roll(alpha, (0, 9), axis=(0, 1))[interior]) > 35


def test_different_source_and_target_sizes(crop: np.ndarray, guide_crop: np.ndarray) -> None:
    target_guide = np.ascontiguousarray(guide_crop[10:90, 20:140])  # 80 x 120
    result = synthesize(crop, [(guide_crop, target_guide, 2.0)], **FAST)
    assert result.image.shape == (80, 120, 3)
    assert result.nnf[..., 0].max() < crop.shape[1] and result.nnf[..., 1].max() < crop.shape[0]
    assert result.nnf.min() >= 0
    # The crop is found where it came from.
    offset = result.nnf - identity_grid(80, 120)
    assert np.mean((offset[..., 0] == 20) & (offset[..., 1] == 10)) > 0.9


def test_source_mask_excludes_pixels(crop: np.ndarray) -> None:
    mask = np.ones(crop.shape[:2], np.float32)
    mask[:, : crop.shape[1] // 2] = 0.0
    result = synthesize(crop, [(crop, crop, 1.0)], source_mask=mask, **FAST)
    assert result.nnf[..., 0].min() >= crop.shape[1] // 2


def test_modulation_zero_ignores_guides(crop: np.ndarray) -> None:
    # With modulation 0 the guide cannot pull; style and guides disagree here on purpose.
    noise = np.random.default_rng(0).random(crop.shape[:2], dtype=np.float32)[..., None]
    luminance = np.ascontiguousarray(crop.mean(axis=-1, keepdims=True))
    ones = np.ones(crop.shape[:2], np.float32)
    guided = synthesize(crop, [(luminance, noise, 5.0)], modulation=ones, **FAST)
    free = synthesize(crop, [(luminance, noise, 5.0)], modulation=0 * ones, **FAST)
    assert float(free.error.mean()) < 0.1 * float(guided.error.mean())


def test_vote_modes_and_polish_pass(crop: np.ndarray, guide_crop: np.ndarray) -> None:
    target = np.roll(guide_crop, (2, 2), axis=(0, 1))
    plain = synthesize(crop, [(guide_crop, target, 2.0)], **FAST)
    weighted = synthesize(crop, [(guide_crop, target, 2.0)], vote_mode="weighted", **FAST)
    polished = synthesize(crop, [(guide_crop, target, 2.0)], extra_pass_3x3=True, **FAST)
    for r in (weighted, polished):
        assert np.isfinite(r.image).all()
        assert psnr(r.image, plain.image) > 20.0
    assert not np.array_equal(plain.image, weighted.image)


def test_params_object_and_overrides(crop: np.ndarray) -> None:
    params = SynthesisParams(patch_size=7, search_vote_iters=1, patchmatch_iters=1)
    result = synthesize(crop, [(crop, crop, 1.0)], params=params, threads=1)
    assert result.image.shape == crop.shape


BAD_INPUTS = [
    (
        "size_mismatch",
        "guide 0 source is 100x128 but the style image is 160x128",
        lambda c: ([(c[:, :100], c, 1.0)], {}),
    ),
    (
        "size_mismatch",
        "guide 1 target is 160x64 but guide 0 target is 160x128",
        lambda c: ([(c, c, 1.0), (c, c[:64], 1.0)], {}),
    ),
    (
        "size_mismatch",
        "guide 0 source has 3 channels but its target has 2",
        lambda c: ([(c, c[..., :2], 1.0)], {}),
    ),
    ("invalid_argument", "patch_size must be odd", lambda c: ([(c, c, 1.0)], {"patch_size": 4})),
    ("invalid_argument", "patch_size must be odd", lambda c: ([(c, c, 1.0)], {"patch_size": 1})),
    (
        "invalid_argument",
        "patch_size 31 is larger than the smallest image side",
        lambda c: ([(c, c[:20, :20], 1.0)], {"patch_size": 31}),
    ),
    ("invalid_argument", "guide 0 weight", lambda c: ([(c, c, -1.0)], {})),
    ("invalid_argument", "no guides and style_weight is 0", lambda c: ([], {"style_weight": 0.0})),
    (
        "invalid_argument",
        "every guide weight are 0",
        lambda c: ([(c, c, 0.0)], {"style_weight": 0}),
    ),
    (
        "invalid_argument",
        "too many pyramid levels",
        lambda c: ([(c, c, 1.0)], {"pyramid_levels": 9}),
    ),
    (
        "invalid_argument",
        "pyramid_levels must be",
        lambda c: ([(c, c, 1.0)], {"pyramid_levels": 0}),
    ),
    ("invalid_argument", "search_vote_iters", lambda c: ([(c, c, 1.0)], {"search_vote_iters": 0})),
    ("invalid_argument", "patchmatch_iters", lambda c: ([(c, c, 1.0)], {"patchmatch_iters": 0})),
    ("invalid_argument", "uniformity", lambda c: ([(c, c, 1.0)], {"uniformity": float("nan")})),
    ("invalid_argument", "threads", lambda c: ([(c, c, 1.0)], {"threads": -1})),
]


@pytest.mark.parametrize(("code", "message", "make"), BAD_INPUTS)
def test_exception(crop: np.ndarray, code: str, message: str, make) -> None:
    guides, params = make(crop)
    with pytest.raises(EngineError, match=message) as info:
        synthesize(crop, guides, **params)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_exception_non_finite(crop: np.ndarray, bad: float) -> None:
    broken = crop.copy()
    broken[5, 7, 1] = bad
    with pytest.raises(
        EngineError, match=r"guide 0 target holds a non-finite value .* x=7 y=5"
    ) as info:
        synthesize(crop, [(crop, broken, 1.0)])
    assert info.value.code == "non_finite"
    with pytest.raises(EngineError, match="style image holds a non-finite"):
        synthesize(broken, [(crop, crop, 1.0)])


def test_exception_empty_image(crop: np.ndarray) -> None:
    empty = np.zeros((0, 0, 3), np.float32)
    with pytest.raises(EngineError, match="style image is empty") as info:
        synthesize(empty, [(empty, empty, 1.0)])
    assert info.value.code == "empty_image"


def test_exception_masks_and_modulation(crop: np.ndarray) -> None:
    with pytest.raises(EngineError, match="source mask excludes every patch"):
        synthesize(crop, [(crop, crop, 1.0)], source_mask=np.zeros(crop.shape[:2], np.float32))
    with pytest.raises(EngineError, match="modulation is 10x10 but the target is 160x128"):
        synthesize(crop, [(crop, crop, 1.0)], modulation=np.ones((10, 10), np.float32))
    with pytest.raises(EngineError, match="modulation must be >= 0"):
        synthesize(crop, [(crop, crop, 1.0)], modulation=-np.ones(crop.shape[:2], np.float32))


def test_exception_python_side(crop: np.ndarray) -> None:
    with pytest.raises(EngineError, match="unknown engine parameter"):
        synthesize(crop, [(crop, crop, 1.0)], patchsize=5)
    with pytest.raises(EngineError, match="vote_mode"):
        synthesize(crop, [(crop, crop, 1.0)], vote_mode="median")
    with pytest.raises(EngineError, match=r"must be \(H, W\) or \(H, W, C\)"):
        synthesize(crop[..., 0].ravel(), [(crop, crop, 1.0)])
    with pytest.raises(EngineError, match="style must be a float array, got dtype uint8"):
        synthesize((crop * 255).astype(np.uint8), [(crop, crop, 1.0)])
    with pytest.raises(EngineError, match=r"guide 0 must be \(source, target, weight\)"):
        synthesize(crop, [(crop, crop)])  # type: ignore[list-item]
    # A typo must not start 100000 threads (it stalled the machine for minutes).
    with pytest.raises(EngineError, match=r"threads must be <= 1024 \(0: all cores\), got 100000"):
        synthesize(crop, [(crop, crop, 1.0)], threads=100000)


def test_cuda_request_without_device(crop: np.ndarray) -> None:
    from synthfx.engine import cuda_available

    available, reason = cuda_available()
    if available:
        pytest.skip("a CUDA device is present")
    assert reason
    with pytest.raises(DeviceUnavailableError, match="CUDA backend unavailable"):
        synthesize(crop, [(crop, crop, 1.0)], backend="cuda")
    # auto falls back to the CPU and gives the CPU's answer.
    auto = synthesize(crop, [(crop, crop, 1.0)], backend="auto", **FAST)
    cpu = synthesize(crop, [(crop, crop, 1.0)], backend="cpu", **FAST)
    assert np.array_equal(auto.image, cpu.image)


@pytest.mark.parametrize("example", ["stylit", "facestyle"])
def test_examples_end_to_end(ebsynth_data, example: str) -> None:
    import cv2

    def small(name: str) -> np.ndarray:
        image = load_png(ebsynth_data / example / name)
        return np.atleast_3d(
            cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        )

    if example == "stylit":
        style = small("source_style.png")
        pairs = [("fullgi", 0.5), ("dirdif", 0.5), ("dirspc", 0.5), ("indirb", 0.5)]
    else:
        style = small("source_painting.png")
        pairs = [("Gapp", 0.5), ("Gseg", 1.5), ("Gpos", 10.0)]
    guides = [(small(f"source_{n}.png"), small(f"target_{n}.png"), w) for n, w in pairs]
    result = synthesize(style, guides, threads=2)
    assert result.image.shape[:2] == guides[0][1].shape[:2]
    assert np.isfinite(result.image).all()
    # The output is made of the style's pixels: its colours stay within the style's range...
    assert result.image.min() >= style.min() - 1e-6 and result.image.max() <= style.max() + 1e-6
    # ...and it follows the target guide: matched source guides resemble the target guide.
    source_guide = guides[0][0]
    matched = source_guide[result.nnf[..., 1], result.nnf[..., 0]]
    target_guide = guides[0][1]
    assert psnr(matched, target_guide) > 20.0


def test_check_params_refuses_what_synthesize_would_without_images() -> None:
    check_params(SynthesisParams())
    bad = {
        "patch_size": 4,
        "pyramid_levels": -2,
        "patchmatch_iters": 0,
        "stop_threshold": -1.0,
        "style_weight": float("inf"),
        "threads": -1,
        "vote_mode": "mean",
        "seed": -1,
    }
    for name, value in bad.items():
        with pytest.raises(EngineError, match=name):
            check_params(dataclasses.replace(SynthesisParams(), **{name: value}))
    if not cuda_available()[0]:
        with pytest.raises(DeviceUnavailableError, match="backend 'cuda' is not available here"):
            check_params(dataclasses.replace(SynthesisParams(), backend="cuda"))
