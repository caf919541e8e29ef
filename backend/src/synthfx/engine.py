# SPDX-License-Identifier: Apache-2.0
"""Python front of the native patch-synthesis engine.

Example:
    >>> result = synthesize(style, guides=[(source_guide, target_guide, 2.0)])
    >>> result.image.shape, result.nnf.shape, result.error.shape

Arrays may be NumPy (host) or CUDA arrays of any DLPack producer (torch, CuPy). CUDA input runs
on ``backend="cuda"`` without a copy to the host and gives CUDA results of the same framework.

A long synthesis reports its progress and can be stopped from a callback:

    >>> def progress(fraction: float) -> bool:
    ...     print(f"{fraction:.0%}")
    ...     return stop_event.is_set()  # True cancels: CancelledError
    >>> result = synthesize(style, guides, progress=progress)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from synthfx import _native
from synthfx.errors import CancelledError, DeviceUnavailableError, EngineError
from synthfx.schema import option, options_of, problem

VoteMode = Literal["plain", "weighted"]
Backend = Literal["auto", "cpu", "cuda"]
# np.ndarray, or a CUDA array: torch.Tensor, cupy.ndarray or any DLPack producer.
Image = Any
GuideTriple = tuple[Image, Image, float]
# progress(fraction_done) -> truthy to cancel (None or False: go on).
ProgressCallback = Callable[[float], object]

# The binding's enum values (synthesis.h VoteMode, BackendKind), in the Literals' order.
_VOTE_MODES = {name: i for i, name in enumerate(get_args(VoteMode))}
_BACKENDS = {name: i for i, name in enumerate(get_args(Backend))}
# Every synthesis starts this many OS threads at most: more than any machine has cores, and low
# enough that a typo (--threads 100000) fails at once instead of stalling the machine for minutes.
MAX_THREADS = 1024
# The largest patch the engine takes (native/src/prepare.cpp kMaxPatchSize).
MAX_PATCH_SIZE = 63
# DLPack device types (dlpack.h DLDeviceType) whose memory only the device can read.
_DLPACK_CUDA_TYPES = (2, 13)  # kDLCUDA, kDLCUDAManaged


@dataclass(frozen=True)
class SynthesisParams:
    """Engine parameters with Ebsynth's meaning and defaults (see native/README.md).

    Weights are normalised so [0, 1] float images give Ebsynth's 0-255 results at the same
    weights: every channel difference is scaled by 255 before squaring. Each field's help,
    range and choices are its schema (``synthfx.schema``); the native engine checks the ranges
    again (``check_params``), and a test holds both, and the defaults, equal.
    """

    style_weight: float = option(
        1.0,
        help="How strongly the style's own colours steer the match, next to the guides.",
        label="Style Weight", param="styleWeight", minimum=0, display=(0, 10),
    )  # fmt: skip
    uniformity: float = option(
        3500.0,
        help="How evenly every painted patch gets used. Higher spreads the brush strokes, "
        "lower copies the best-matching ones more often.",
        label="Uniformity", param="uniformity", minimum=0, display=(500, 15000),
    )  # fmt: skip
    patch_size: int = option(
        5,
        help="Size of the copied brush patches in pixels (odd).",
        label="Patch Size", param="patchSize", minimum=3, maximum=MAX_PATCH_SIZE, odd=True,
        display=(3, 15),
    )  # fmt: skip
    pyramid_levels: int = option(
        -1,
        help="Coarse-to-fine levels; -1 uses as many as the frame size allows.",
        label="Pyramid Levels", param="pyramidLevels", minimum=-1, display=(-1, 10),
    )  # fmt: skip
    search_vote_iters: int = option(
        6,
        help="Refinement rounds (a patch search, then a vote) per pyramid level.",
        label="Search/Vote Iterations", param="searchVoteIters", minimum=1, display=(1, 30),
    )  # fmt: skip
    patchmatch_iters: int = option(
        4,
        help="PatchMatch search rounds in each refinement round.",
        label="PatchMatch Iterations", param="patchmatchIters", minimum=1, display=(1, 20),
    )  # fmt: skip
    stop_threshold: float = option(
        5.0,
        help="Skips searching again where the result has settled: a pixel is left alone once "
        "no colour within its patch changed by more than this in the last round (largest "
        "channel change, in 0-255 steps). 0 searches every pixel every round; higher is faster.",
        label="Stop Threshold", param="stopThreshold", minimum=0, display=(0, 20),
    )  # fmt: skip
    extra_pass_3x3: bool = option(
        False,
        help="Finishes with one refinement round of 3x3 patches at full resolution: crisper "
        "detail.",
        label="Extra 3x3 Pass", param="extraPass3x3",
    )  # fmt: skip
    vote_mode: VoteMode = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "plain",
        help="How overlapping patches are averaged: plain (all alike) or weighted (better "
        "matching patches count more).",
        label="Vote Mode", param="voteMode",
    )  # fmt: skip
    seed: int = option(
        1,
        help="Random seed of the patch search: the same seed gives the same result again.",
        label="Seed", param="seed", minimum=0, maximum=2**64 - 1, display=(0, 100),
    )  # fmt: skip
    threads: int = option(
        0,
        help="CPU threads of the synthesis; 0 uses all cores. Never changes a pixel.",
        label="Threads", param="threads", minimum=0, maximum=MAX_THREADS, display=(0, 64),
    )  # fmt: skip
    backend: Backend = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "cpu",
        help="Where the engine computes: cpu, cuda (an NVIDIA GPU), or auto, which uses the "
        "CPU until the CUDA backend is verified on hardware.",
        label="Device", param="device", offered="auto",
    )  # fmt: skip


# Ezsynth's video parameters: the defaults of the video pipeline (StylizeOptions, Render).
EZSYNTH_VIDEO_PARAMS = SynthesisParams(
    patch_size=7, pyramid_levels=6, search_vote_iters=12, patchmatch_iters=6, extra_pass_3x3=True
)


@dataclass(frozen=True)
class SynthesisResult:
    """Output of one synthesis.

    NumPy arrays for host input. For CUDA input, arrays on the input's device, of the input's
    framework (torch tensors for torch input, CuPy arrays for CuPy input, otherwise DLPack
    arrays that ``from_dlpack`` of any framework takes without a copy).

    Attributes:
        image: (H_t, W_t, NS) float32 synthesized target.
        nnf: (H_t, W_t, 2) int32 source patch centre (x, y) for each target pixel.
        error: (H_t, W_t) float32 weighted patch distance of the final match (0-255² units).
    """

    image: Any
    nnf: Any
    error: Any


def _as_hwc(array: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3:
        raise EngineError(
            f"{name} must be (H, W) or (H, W, C), got shape {a.shape}", "size_mismatch"
        )
    if not np.issubdtype(a.dtype, np.floating):
        # Integer images would silently be read as 0-255 floats: make the scale explicit.
        raise EngineError(
            f"{name} must be a float array, got dtype {a.dtype}; "
            "convert 8-bit images with image.astype(np.float32) / 255",
            "invalid_argument",
        )
    return np.ascontiguousarray(a, dtype=np.float32)


def _is_cuda_array(array: object) -> bool:
    """Whether ``array`` lies in CUDA device memory (by its DLPack device)."""
    device = getattr(array, "__dlpack_device__", None)
    return device is not None and int(device()[0]) in _DLPACK_CUDA_TYPES


def _framework(array: object) -> str:
    return type(array).__module__.split(".")[0]


def _as_device_hwc(array: Image, name: str) -> Image:
    """A CUDA array as (H, W, C) float32, C-contiguous, converted on its device."""
    shape = tuple(array.shape)
    if len(shape) == 2:
        array = array[..., None]
    elif len(shape) != 3:
        raise EngineError(f"{name} must be (H, W) or (H, W, C), got shape {shape}", "size_mismatch")
    dtype = str(array.dtype)  # "torch.float32", "float32"...
    if "float" not in dtype:
        raise EngineError(
            f"{name} must be a float array, got dtype {dtype}; "
            "convert 8-bit images to float32 and divide by 255",
            "invalid_argument",
        )
    framework = _framework(array)
    if framework == "torch":
        import torch

        return array.to(torch.float32).contiguous()
    if framework == "cupy":
        import cupy

        return cupy.ascontiguousarray(array, dtype=cupy.float32)
    if not dtype.endswith("float32"):
        array = array.astype("float32")
    return array  # other producers: the binding accepts C-contiguous float32 only


def _producer_stream(array: Any) -> int:
    """The CUDA stream (as an integer, 0 = legacy default) whose work produces ``array``."""
    framework = _framework(array)
    if framework == "torch":
        import torch

        return int(torch.cuda.current_stream(array.device).cuda_stream)
    if framework == "cupy":
        import cupy

        return int(cupy.cuda.get_current_stream().ptr)
    return 0


def _like(array: Any, result: Any) -> Any:
    """A device result as an array of ``array``'s framework (a view, no copy)."""
    framework = _framework(array)
    if framework == "torch":
        import torch

        return torch.from_dlpack(result)
    if framework == "cupy":
        import cupy

        return cupy.from_dlpack(result)
    return result


def engine_version() -> str:
    """The native engine's version: part of every cache key."""
    return str(_native.version())


def max_pyramid_levels(
    source_w: int, source_h: int, target_w: int, target_h: int, patch: int
) -> int:
    """How many pyramid levels fit images of these sizes at this patch size."""
    return int(_native.max_pyramid_levels(source_w, source_h, target_w, target_h, patch))


def cuda_available() -> tuple[bool, str]:
    """Whether the CUDA backend can run here; the second item says why not."""
    ok, reason = _native.cuda_available()
    return bool(ok), str(reason)


def last_cuda_peak_bytes() -> int:
    """Peak device memory (bytes) of the last CUDA synthesis that finished in this process.

    Counts the buffers the CUDA backend allocated (its pyramid, working state and a device
    result), not the CUDA context. 0 before the first CUDA synthesis and in builds without CUDA.
    """
    return int(_native.cuda_last_peak_bytes())


def _checked_fields(p: SynthesisParams) -> SynthesisParams:
    """``p`` when its enumerations, seed and thread count are representable.

    The other ranges are the native engine's to check (``check_params``, ``synthesize``).
    """
    for opt in options_of(SynthesisParams):
        if opt.choices is not None or opt.name == "seed":
            message = problem(opt, getattr(p, opt.name))
            if message:
                raise EngineError(message)
    if int(p.threads) > MAX_THREADS:
        raise EngineError(f"threads must be <= {MAX_THREADS} (0: all cores), got {p.threads}")
    return p


# The binding's engine arguments, in its order (synthesis.h SynthesisParams).
_NativeParams = tuple[float, float, int, int, int, int, float, bool, int, int, int, int]


def _native_params(p: SynthesisParams) -> _NativeParams:
    """``p`` as the binding's positional engine arguments."""
    return (
        float(p.style_weight),
        float(p.uniformity),
        int(p.patch_size),
        int(p.pyramid_levels),
        int(p.search_vote_iters),
        int(p.patchmatch_iters),
        float(p.stop_threshold),
        bool(p.extra_pass_3x3),
        _VOTE_MODES[p.vote_mode],
        int(p.seed),
        int(p.threads),
        _BACKENDS[p.backend],
    )


def check_params(params: SynthesisParams) -> None:
    """Raises what ``synthesize`` would for these parameters, before any work.

    Raises:
        EngineError: a parameter out of range; the message names it.
        DeviceUnavailableError: ``backend="cuda"`` where CUDA cannot run.
    """
    p = _checked_fields(params)
    try:
        _native.validate_params(*_native_params(p))
    except _native.SynthesisError as exc:
        message, code = exc.args
        raise EngineError(message, code) from None
    if p.backend == "cuda":
        available, reason = cuda_available()
        if not available:
            raise DeviceUnavailableError(f"backend 'cuda' is not available here: {reason}")


def _as_nnf(nnf: Any) -> np.ndarray:
    """A starting NNF as the engine reads it: (H, W, 2) int32, C-contiguous, host memory."""
    if _is_cuda_array(nnf):
        raise EngineError("initial_nnf must be in host memory (the CPU backend reads it)")
    array = np.asarray(nnf)
    if array.ndim != 3 or array.shape[2] != 2:
        raise EngineError(f"initial_nnf must be (H, W, 2), got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise EngineError(f"initial_nnf must hold integers, got {array.dtype}")
    info = np.iinfo(np.int32)
    if array.size and (array.min() < info.min or array.max() > info.max):
        raise EngineError(f"initial_nnf centre {array.max()} does not fit int32")
    return np.ascontiguousarray(array, dtype=np.int32)


def synthesize(
    style: Image,
    guides: Sequence[GuideTriple] = (),
    *,
    modulation: Image | None = None,
    source_mask: Image | None = None,
    initial_nnf: Any = None,
    initial_nnf_levels: int = 1,
    params: SynthesisParams | None = None,
    progress: ProgressCallback | None = None,
    **overrides: object,
) -> SynthesisResult:
    """Synthesizes the target from the style and guide pairs.

    Every array is NumPy-like (host memory) or a CUDA array (torch, CuPy or any DLPack
    producer), all on one device. CUDA input needs ``backend="cuda"``: it is validated and
    synthesized on its device, never copied to the host, and the result is CUDA arrays of the
    input's framework (complete when this returns; any stream may read them). The work queued on
    the framework's current stream is waited for on the device, not the host.

    Args:
        style: (H_s, W_s, NS) float32 style image (any NS >= 1; alpha is just a channel).
        guides: (source, target, weight) triples; source (H_s, W_s, C_i), target (H_t, W_t, C_i).
        modulation: optional (H_t, W_t) factor on the guide part of the distance per pixel.
        source_mask: optional (H_s, W_s); 0 marks pixels whose patches may not be copied.
        initial_nnf: optional (H_t, W_t, 2) int32 starting NNF, (x, y) source patch centres at
            full resolution (host memory, CPU backend), e.g. the previous video frame's carried
            along the flow. The synthesis then runs only the finest ``initial_nnf_levels``
            pyramid levels, the first of them from this NNF scaled down.
        initial_nnf_levels: 1 to the level count; used only with ``initial_nnf``.
        params: engine parameters; keyword overrides (``patch_size=7``...) apply on top.
        progress: optional ``progress(fraction)``, called on this thread (with the GIL; the
            engine itself runs without it) when the work starts (0.0), after every PatchMatch
            iteration (CPU: also between its tile phases) and every vote at every pyramid
            level, and once the result is complete (exactly 1.0). ``fraction`` is in [0, 1],
            never decreases and is roughly proportional to time. A truthy return cancels: the
            engine stops within one iteration (CPU: a quarter of one), frees its memory and
            ``CancelledError`` is raised. An exception the callback raises (e.g. the caller's
            own ``CancelledError``) stops the engine the same way and then propagates
            unchanged. The callback never changes the result.

    Returns:
        SynthesisResult with image, nnf and error.

    Raises:
        EngineError: invalid input; the message names the offending value. CUDA input with
            ``backend`` "cpu" or "auto" is invalid (no silent copy to the host: pass
            ``backend="cuda"``, or copy the arrays to the host first).
        DeviceUnavailableError: ``backend="cuda"`` on a machine where CUDA cannot run.
        CancelledError: ``progress`` returned a truthy value.
    """
    if progress is not None and not callable(progress):
        raise EngineError(f"progress must be callable or None, got {type(progress).__name__}")
    base = params or SynthesisParams()
    unknown = set(overrides) - set(SynthesisParams.__dataclass_fields__)
    if unknown:
        raise EngineError(f"unknown engine parameter(s): {', '.join(sorted(unknown))}")
    p = _checked_fields(SynthesisParams(**{**base.__dict__, **overrides}))

    guides = list(guides)  # walked twice below; any iterable of triples keeps working
    on_device = any(
        _is_cuda_array(a)
        for a in (style, modulation, source_mask, *(x for g in guides for x in g[:2]))
    )

    def convert(array: Any, name: str) -> Any:
        return _as_device_hwc(array, name) if _is_cuda_array(array) else _as_hwc(array, name)

    style_hwc = convert(style, "style")
    triples = []
    for i, guide in enumerate(guides):
        if len(guide) != 3:
            raise EngineError(f"guide {i} must be (source, target, weight), got {len(guide)} items")
        source, target, weight = guide
        triples.append(
            (
                convert(source, f"guide {i} source"),
                convert(target, f"guide {i} target"),
                float(weight),
            )
        )
    modulation_hwc = None if modulation is None else convert(modulation, "modulation")
    mask_hwc = None if source_mask is None else convert(source_mask, "source_mask")
    stream = _producer_stream(style) if on_device and _is_cuda_array(style) else 0
    seed = None if initial_nnf is None else _as_nnf(initial_nnf)
    try:
        image, nnf, error = _native.synthesize(
            style_hwc,
            triples,
            modulation_hwc,
            mask_hwc,
            *_native_params(p),
            stream,
            progress,
            seed,
            int(initial_nnf_levels),
        )
    except _native.SynthesisError as exc:
        message, code = exc.args
        if code == "unavailable":
            raise DeviceUnavailableError(message) from None
        if code == "cancelled":
            raise CancelledError(message) from None
        raise EngineError(message, code) from None
    if on_device:
        return SynthesisResult(
            image=_like(style, image), nnf=_like(style, nnf), error=_like(style, error)
        )
    return SynthesisResult(image=image, nnf=nnf, error=error)
