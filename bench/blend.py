# SPDX-License-Identifier: Apache-2.0
"""Seconds per frame of the screened Poisson solve, the whole two-pass blend, and the default
carried-key mix (two passes and their two carried keys) with its detail restoration.

Run: ``PYTHONPATH=backend/src .venv/bin/python bench/blend.py``. Prints the median of 5 runs at
960x540 and 1920x1080, 3 channels, float32, with the CPU model and the thread counts.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from machine import cpu_model

# Submodules, not the package: works even where an editable install predates synthfx.blend.
from synthfx.blend.combine import DEFAULT_SCREENING, blend_passes
from synthfx.blend.detail import DEFAULT_DETAIL, restore_detail
from synthfx.blend.poisson import forward_gradients, screened_poisson
from synthfx.blend.source_match import Candidate, candidate_weights, weighted_mix

SIZES = ((540, 960), (1080, 1920))
REPEATS = 5


def median_seconds(run: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``repeats`` calls, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def smooth_noise(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A stylization-like test frame: noise plus a smooth gradient, float32 (H, W, 3)."""
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    return (0.5 * ramp + 0.5 * rng.random((height, width, 3), dtype=np.float32)).astype(np.float32)


def mix_candidates_of(
    rng: np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, list[Candidate], list[np.ndarray]]:
    """A frame, four candidates (a pass and a carried key per keyframe) and their key styles."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    styles = [smooth_noise(rng, height, width) for _ in range(2)]
    key_frames = [smooth_noise(rng, height, width) for _ in range(2)]
    candidates = [
        Candidate(smooth_noise(rng, height, width), key_frames[k // 2], x + 0.3 * k, y - 0.2 * k)
        for k in range(4)
    ]
    return smooth_noise(rng, height, width), candidates, [styles[k // 2] for k in range(4)]


def main() -> None:
    rng = np.random.default_rng(0)
    print(
        f"CPU: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; "
        f"usable = {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}"
    )
    print("DCT threads: 1 (scipy.fft default); screening =", DEFAULT_SCREENING)
    for height, width in SIZES:
        forward = smooth_noise(rng, height, width)
        reverse = smooth_noise(rng, height, width)
        error_forward = rng.random((height, width), dtype=np.float32)
        error_reverse = rng.random((height, width), dtype=np.float32)
        gx, gy = forward_gradients(forward)
        poisson = median_seconds(
            lambda: screened_poisson(gx, gy, reverse, DEFAULT_SCREENING)  # noqa: B023
        )
        blend = median_seconds(
            lambda: blend_passes(forward, reverse, error_forward, error_reverse, 0.5)  # noqa: B023
        )
        threads = os.cpu_count() or 1
        poisson_threaded = median_seconds(
            lambda: screened_poisson(gx, gy, reverse, DEFAULT_SCREENING, workers=threads)  # noqa: B023
        )
        frame, candidates, styles = mix_candidates_of(rng, height, width)
        weights = candidate_weights(frame, candidates)
        mixed = weighted_mix(weights, candidates)
        mix = median_seconds(
            lambda: weighted_mix(candidate_weights(frame, candidates), candidates)  # noqa: B023
        )
        detail = median_seconds(
            lambda: restore_detail(mixed, candidates, weights, styles, DEFAULT_DETAIL)  # noqa: B023
        )
        print(
            f"{width}x{height}x3: poisson {poisson:.3f} s/frame "
            f"({poisson_threaded:.3f} with {threads} DCT threads), blend {blend:.3f} s/frame; "
            f"carried-key mix of 4 {mix:.3f} s/frame, detail restoration {detail:.3f} s/frame"
        )


if __name__ == "__main__":
    main()
