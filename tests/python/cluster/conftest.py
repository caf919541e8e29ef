# SPDX-License-Identifier: Apache-2.0
"""The cluster tests' shot and its local render (``cluster_testing`` has the helpers)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cluster_testing import FIRST, KEYS, LAST, SIZE, read_outputs, stylize_args
from synthfx.cli import main
from synthfx.io import FrameRange, VideoReader, write_image
from synthfx.pipeline import painterly


@pytest.fixture(scope="session")
def shot(bbb_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames 1001-1010 of Big Buck Bunny (160x90 float EXR) and painted keys 1001, 1005, 1009."""
    root = tmp_path_factory.mktemp("cluster-shot")
    reader = VideoReader(bbb_video)
    for index, pixels in reader.frames(FrameRange(0, LAST - FIRST)):
        small = cv2.resize(pixels, SIZE, interpolation=cv2.INTER_AREA)
        frame = FIRST + index
        write_image(root / f"f.{frame:04d}.exr", small, dtype="float")
        if frame in KEYS:
            write_image(root / f"k.{frame:04d}.exr", painterly(small), dtype="float")
    reader.close()
    return root


@pytest.fixture(scope="session")
def local_render(shot: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, np.ndarray]:
    """The shot stylized in this process, without a cluster."""
    out = tmp_path_factory.mktemp("local-render")
    assert main(stylize_args(shot, out)) == 0
    return read_outputs(out)
