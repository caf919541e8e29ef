# SPDX-License-Identifier: Apache-2.0
"""Helpers of the service tests: a small synthetic shot and fast job parameters."""

from __future__ import annotations

import numpy as np

from synthfx.v1 import synthfx_pb2 as pb

HEIGHT, WIDTH = 48, 64


def synthetic_shot(
    frames: int, *, seed: int = 0, height: int = HEIGHT, width: int = WIDTH
) -> dict[int, np.ndarray]:
    """A textured plate panning right one pixel per frame: (H, W, 3) float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((height // 4 + 2, (width + frames) // 4 + 2, 3)).astype(np.float32)
    plate = np.kron(coarse, np.ones((4, 4, 1), np.float32))
    plate = 0.7 * plate + 0.3 * rng.random(plate.shape).astype(np.float32)
    return {f: np.ascontiguousarray(plate[:height, f : f + width]) for f in range(frames)}


def paint(frame: np.ndarray, variant: int = 0) -> np.ndarray:
    """A 'painted' keyframe: a deterministic recolouring of the frame."""
    shifted = np.roll(frame, variant + 1, axis=2)
    return np.ascontiguousarray(np.clip(shifted * 0.8 + 0.1 * (variant % 3), 0, 1))


# Small engine settings: the tests exercise the service, not synthesis quality.
FAST_ENGINE = {"patch_size": 5, "pyramid_levels": 2, "search_vote_iters": 2, "patchmatch_iters": 2}
FAST_FLOW = "dis-ultrafast"


def fast_params(**engine: int) -> pb.StylizeParams:
    return pb.StylizeParams(flow=FAST_FLOW, engine=pb.EngineParams(**{**FAST_ENGINE, **engine}))


def reference_render(
    shot: dict[int, np.ndarray],
    keys: dict[int, np.ndarray],
    params: pb.StylizeParams,
    frames: list[int],
) -> dict[int, np.ndarray]:
    """The pipeline's own output for ``frames``, in this process (no service involved)."""
    from synthfx.pipeline import MemoryFrames, Stylizer
    from synthfx.service.params import stylize_options

    options = stylize_options(params, None)
    with Stylizer(MemoryFrames(shot), keys, options=options) as stylizer:
        return {f: stylizer.render(f).image for f in frames}


def float32_hash(image: np.ndarray) -> str:
    """Content hash of a float32 top-down result as the backend sends it."""
    from synthfx.transport.wire import content_hash

    return content_hash(np.ascontiguousarray(image, dtype="<f4").tobytes())
