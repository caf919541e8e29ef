# SPDX-License-Identifier: Apache-2.0
"""``run_demo``: the README's main job, end to end.

1. A Big Buck Bunny excerpt is written as float EXRs (``source/``).
2. Keyframes are painted by the deterministic ``painterly`` filter (``keys/``).
3. The shot is stylized from the keys (``stylized/``, half EXR RGBA).
4. ``preview.gif`` shows source | stylized side by side; ``contact_sheet.png`` compares
   source, the true answer ``painterly(frame)`` and the result on a few frames.
5. Since every frame has a known answer, the report gives the PSNR of the result and of
   simply holding the nearest keyframe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthfx.demo.clip import (
    DEFAULT_COUNT,
    DEFAULT_FIRST,
    DEFAULT_SCALE,
    bundled_clip_path,
    extract_shot,
)
from synthfx.demo.previews import contact_sheet, write_gif
from synthfx.io import open_frames, read_image, write_image
from synthfx.io.sequences import FrameSequence
from synthfx.pipeline import ProgressEvent, StylizeOptions, Stylizer, painterly
from synthfx.pipeline.outputs import SequenceWriter

SOURCE_PATTERN = "source/f.####.exr"
KEY_PATTERN = "keys/k.####.exr"
STYLIZED_PATTERN = "stylized/s.####.exr"
DEFAULT_KEY_SPACING = 12


@dataclass
class DemoReport:
    """What the demo wrote and how close it came to the known answer."""

    out: str
    frames: int
    keys: list[int]
    size: tuple[int, int]
    seconds: float
    stage_seconds: dict[str, float]
    psnr: float
    psnr_hold_nearest_key: float
    files: dict[str, str] = field(default_factory=dict)


def key_frames(first: int, last: int, spacing: int) -> list[int]:
    """Every ``spacing`` frames from ``first``, plus ``last``."""
    keys = list(range(first, last + 1, max(spacing, 1)))
    return keys if keys[-1] == last else [*keys, last]


def _psnr(image: np.ndarray, truth: np.ndarray) -> float:
    mse = float(np.mean((image[..., :3] - truth[..., :3]) ** 2))
    return float(10.0 * np.log10(1.0 / max(mse, 1e-12)))


def run_demo(
    out: Path,
    *,
    first: int = DEFAULT_FIRST,
    count: int = DEFAULT_COUNT,
    scale: float = DEFAULT_SCALE,
    key_spacing: int = DEFAULT_KEY_SPACING,
    options: StylizeOptions | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> DemoReport:
    """Runs the demo into ``out`` (created); reruns reuse its cache and finished frames."""
    out = Path(out)
    frame_range = extract_shot(bundled_clip_path(), str(out / SOURCE_PATTERN), first, count, scale)
    frames = open_frames(out / SOURCE_PATTERN, frame_range)
    keys = {}
    for frame in key_frames(frame_range.first, frame_range.last, key_spacing):
        keys[frame] = painterly(frames.read(frame))
        write_image(FrameSequence(out / KEY_PATTERN).path(frame), keys[frame], dtype="float")

    writer = SequenceWriter(out / STYLIZED_PATTERN, dtype="half")
    with Stylizer(
        frames, keys, options=options, cache_dir=out / ".cache", progress=progress
    ) as stylizer:
        writer.attach(stylizer.store, stylizer.final_key)
        summary = stylizer.run(writer.write, done=writer.is_done)

    stylized = FrameSequence(out / STYLIZED_PATTERN)
    results, scores, holds = {}, [], []
    for frame in frame_range:
        results[frame] = read_image(stylized.path(frame)).pixels
        if frame in keys:
            continue
        truth = painterly(frames.read(frame))
        nearest = min(keys, key=lambda k: (abs(k - frame), k))
        scores.append(_psnr(results[frame], truth))
        holds.append(_psnr(keys[nearest], truth))

    gif = out / "preview.gif"
    write_gif(gif, [np.hstack([frames.read(f), results[f][..., :3]]) for f in frame_range])
    sheet = out / "contact_sheet.png"
    picks = sorted({frame_range.first + i * (count - 1) // 4 for i in range(5)})
    contact_sheet(
        sheet,
        [
            [
                (f"source {f}", frames.read(f)),
                (f"answer {f}" + (" (key)" if f in keys else ""), painterly(frames.read(f))),
                (f"synthfx {f}", results[f]),
            ]
            for f in picks
        ],
    )
    height, width = frames.read(frame_range.first).shape[:2]
    return DemoReport(
        out=str(out),
        frames=len(frame_range),
        keys=sorted(keys),
        size=(width, height),
        seconds=summary.seconds,
        stage_seconds=summary.stage_seconds,
        psnr=float(np.mean(scores)) if scores else float("inf"),
        psnr_hold_nearest_key=float(np.mean(holds)) if holds else float("inf"),
        files={
            "source": str(out / SOURCE_PATTERN),
            "keys": str(out / KEY_PATTERN),
            "stylized": str(out / STYLIZED_PATTERN),
            "preview": str(gif),
            "contact_sheet": str(sheet),
        },
    )
