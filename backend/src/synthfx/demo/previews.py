# SPDX-License-Identifier: Apache-2.0
"""8-bit previews of a job: an animated GIF and a contact sheet PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio

from synthfx.errors import InputError
from synthfx.io.atomic import atomic_path
from synthfx.io.images import write_image


def to_display(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 of a float image: alpha composited over black, clipped, rounded."""
    rgb = image[..., :3] if image.shape[2] >= 3 else np.repeat(image[..., :1], 3, axis=2)
    return np.rint(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def write_gif(path: Path, frames: Sequence[np.ndarray], fps: int = 12) -> None:
    """Writes float frames as an animated GIF (looping), atomically."""
    if not frames:
        raise InputError(f"no frames for {path}")
    height, width = frames[0].shape[:2]
    specs = []
    for _ in frames:
        spec = oiio.ImageSpec(width, height, 3, oiio.UINT8)
        spec.attribute("FramesPerSecond", oiio.TypeRational, (fps, 1))
        spec.attribute("gif:LoopCount", 0)
        specs.append(spec)
    with atomic_path(path) as temporary:
        output = oiio.ImageOutput.create(str(path))
        if output is None or not output.open(str(temporary), specs):
            raise InputError(f"cannot write {path}: {oiio.geterror()}")
        try:
            for index, frame in enumerate(frames):
                if index and not output.open(str(temporary), specs[index], "AppendSubimage"):
                    raise InputError(f"cannot write {path}: {output.geterror()}")
                if not output.write_image(to_display(frame)):
                    raise InputError(f"cannot write {path}: {output.geterror()}")
        finally:
            output.close()


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    labelled = tile.copy()
    scale = max(0.35, tile.shape[1] / 640)
    origin = (6, int(18 * scale / 0.5))
    cv2.putText(labelled, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(
        labelled, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
    )
    return labelled


def contact_sheet(
    path: Path, rows: Sequence[Sequence[tuple[str, np.ndarray]]], gap: int = 4
) -> None:
    """Writes a PNG grid: one row per frame, one labelled tile per (label, float image)."""
    if not rows or not rows[0]:
        raise InputError(f"no images for {path}")
    height, width = rows[0][0][1].shape[:2]
    columns = max(len(row) for row in rows)
    sheet = np.full(
        (len(rows) * (height + gap) + gap, columns * (width + gap) + gap, 3), 32, np.uint8
    )
    for r, row in enumerate(rows):
        for c, (label, image) in enumerate(row):
            y, x = gap + r * (height + gap), gap + c * (width + gap)
            sheet[y : y + height, x : x + width] = _label(to_display(image), label)
    write_image(path, sheet.astype(np.float32) / 255.0, dtype="uint8")
