# SPDX-License-Identifier: Apache-2.0
"""Python front of the native patch-synthesis engine.

Example:
    >>> result = synthesize(style, guides=[(source_guide, target_guide, 2.0)])
    >>> result.image.shape, result.nnf.shape, result.error.shape
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from synthfx import _native
from synthfx.errors import BackendUnavailableError, EngineError

VoteMode = Literal["plain", "weighted"]
Backend = Literal["auto", "cpu", "cuda"]
GuideTriple = tuple[np.ndarray, np.ndarray, float]

_VOTE_MODES = {"plain": 0, "weighted": 1}
_BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}


@dataclass(frozen=True)
class SynthesisParams:
    """Engine parameters with Ebsynth's meaning and defaults (see native/README.md).

    Weights are normalised so [0, 1] float images give Ebsynth's 0-255 results at the same
    weights: every channel difference is scaled by 255 before squaring.
    """

    style_weight: float = 1.0
    uniformity: float = 3500.0
    patch_size: int = 5
    pyramid_levels: int = -1
    search_vote_iters: int = 6
    patchmatch_iters: int = 4
    stop_threshold: float = 5.0
    extra_pass_3x3: bool = False
    vote_mode: VoteMode = "plain"
    seed: int = 1
    threads: int = 0
    backend: Backend = "cpu"


# Ezsynth's video parameters, for comparisons and the video pipeline.
EZSYNTH_VIDEO_PARAMS = SynthesisParams(
    patch_size=7, pyramid_levels=6, search_vote_iters=12, patchmatch_iters=6, extra_pass_3x3=True
)


@dataclass(frozen=True)
class SynthesisResult:
    """Output of one synthesis.

    Attributes:
        image: (H_t, W_t, NS) float32 synthesized target.
        nnf: (H_t, W_t, 2) int32 source patch centre (x, y) for each target pixel.
        error: (H_t, W_t) float32 weighted patch distance of the final match (0-255² units).
    """

    image: np.ndarray
    nnf: np.ndarray
    error: np.ndarray


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


def cuda_available() -> tuple[bool, str]:
    """Whether the CUDA backend can run here; the second item says why not."""
    ok, reason = _native.cuda_available()
    return bool(ok), str(reason)


def synthesize(
    style: np.ndarray,
    guides: Sequence[GuideTriple] = (),
    *,
    modulation: np.ndarray | None = None,
    source_mask: np.ndarray | None = None,
    params: SynthesisParams | None = None,
    **overrides: object,
) -> SynthesisResult:
    """Synthesizes the target from the style and guide pairs.

    Args:
        style: (H_s, W_s, NS) float32 style image (any NS >= 1; alpha is just a channel).
        guides: (source, target, weight) triples; source (H_s, W_s, C_i), target (H_t, W_t, C_i).
        modulation: optional (H_t, W_t) factor on the guide part of the distance per pixel.
        source_mask: optional (H_s, W_s); 0 marks pixels whose patches may not be copied.
        params: engine parameters; keyword overrides (``patch_size=7``...) apply on top.

    Returns:
        SynthesisResult with image, nnf and error.

    Raises:
        EngineError: invalid input; the message names the offending value.
        BackendUnavailableError: ``backend="cuda"`` on a machine where CUDA cannot run.
    """
    base = params or SynthesisParams()
    unknown = set(overrides) - set(SynthesisParams.__dataclass_fields__)
    if unknown:
        raise EngineError(f"unknown engine parameter(s): {', '.join(sorted(unknown))}")
    p = SynthesisParams(**{**base.__dict__, **overrides})  # type: ignore[arg-type]
    if p.vote_mode not in _VOTE_MODES:
        raise EngineError(f"vote_mode must be 'plain' or 'weighted', got {p.vote_mode!r}")
    if p.backend not in _BACKENDS:
        raise EngineError(f"backend must be 'auto', 'cpu' or 'cuda', got {p.backend!r}")
    if not 0 <= int(p.seed) < 2**64:
        raise EngineError(f"seed must be in [0, 2**64), got {p.seed}")

    style_hwc = _as_hwc(style, "style")
    triples = []
    for i, guide in enumerate(guides):
        if len(guide) != 3:
            raise EngineError(f"guide {i} must be (source, target, weight), got {len(guide)} items")
        source, target, weight = guide
        triples.append(
            (
                _as_hwc(source, f"guide {i} source"),
                _as_hwc(target, f"guide {i} target"),
                float(weight),
            )
        )
    modulation_hwc = None if modulation is None else _as_hwc(modulation, "modulation")
    mask_hwc = None if source_mask is None else _as_hwc(source_mask, "source_mask")
    try:
        image, nnf, error = _native.synthesize(
            style_hwc,
            triples,
            modulation_hwc,
            mask_hwc,
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
    except _native.SynthesisError as exc:
        message, code = exc.args
        if code == "unavailable":
            raise BackendUnavailableError(message) from None
        raise EngineError(message, code) from None
    return SynthesisResult(image=image, nnf=nnf, error=error)
