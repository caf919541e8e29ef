# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by tests (importable from any test module: tests/python is on sys.path)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def load_png(path: Path) -> np.ndarray:
    """(H, W, C) float32 in [0, 1] via OpenCV (RGB order), independent of synthfx.io."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(path)
    if image.ndim == 2:
        image = image[..., None]
    elif image.shape[2] >= 3:
        image = image[..., [2, 1, 0, *range(3, image.shape[2])]]
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    return np.ascontiguousarray(image.astype(np.float32) / scale)


def load_stylit(
    ebsynth_data: Path, scale: float, lightings: tuple[str, ...]
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, float]]]:
    """The StyLit example resized by ``scale``: its style, and (source, target, weight 0.5)
    guides of the given lighting passes ("fullgi", "dirdif", "dirspc", "indirb")."""
    import cv2

    def scaled(name: str) -> np.ndarray:
        image = load_png(ebsynth_data / "stylit" / name)
        resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(resized)

    guides = [(scaled(f"source_{n}.png"), scaled(f"target_{n}.png"), 0.5) for n in lightings]
    return scaled("source_style.png"), guides


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A real filesystem of `size` (e.g. "32k") mounted at `folder`, unmounted afterwards; skips
    the test where mounting is not allowed (it needs root)."""
    import pytest

    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
