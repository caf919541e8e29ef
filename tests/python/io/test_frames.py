# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.io.frames import SequenceSource, VideoSource, open_frames
from synthfx.io.images import write_image
from synthfx.io.sequences import FrameRange, FrameSequence


def _write_frames(pattern: Path, frames: list[int], width: int = 8) -> None:
    for frame in frames:
        pixels = np.full((6, width, 3), frame / 1000.0, np.float32)
        write_image(FrameSequence(pattern).path(frame), pixels, dtype="float")


def test_sequence_default_range(tmp_path: Path) -> None:
    _write_frames(tmp_path / "f.####.exr", [1001, 1002, 1003])
    source = open_frames(tmp_path / "f.####.exr")
    assert isinstance(source, SequenceSource)
    assert source.frame_range == FrameRange(1001, 1003)
    frames = [(frame, float(pixels[0, 0, 0])) for frame, pixels in source]
    assert frames == [(f, pytest.approx(f / 1000.0)) for f in (1001, 1002, 1003)]
    assert source.read(1002)[0, 0, 0] == pytest.approx(1.002)


def test_sequence_text_range_and_printf(tmp_path: Path) -> None:
    _write_frames(tmp_path / "f.####.exr", [1, 2, 3, 4])
    source = open_frames(str(tmp_path / "f.%04d.exr"), "2-3")
    assert [frame for frame, _ in source] == [2, 3]
    with pytest.raises(InputError, match=r"frame 4 is outside the frames 2-3"):
        source.read(4)


def test_still(tmp_path: Path) -> None:
    write_image(tmp_path / "key.png", np.full((6, 8, 3), 0.5, np.float32))
    source = open_frames(tmp_path / "key.png", FrameRange(10, 12))
    assert [frame for frame, _ in source] == [10, 11, 12]
    assert source.read(11).shape == (6, 8, 3)
    assert open_frames(tmp_path / "key.png").frame_range == FrameRange(0, 0)


def test_video(bbb_video: Path) -> None:
    source = open_frames(bbb_video, "130-131")
    assert isinstance(source, VideoSource)
    frames = list(source)
    assert [frame for frame, _ in frames] == [130, 131]
    np.testing.assert_array_equal(source.read(130), frames[0][1])
    source.close()
    assert open_frames(bbb_video).frame_range == FrameRange(0, 131)


def test_exception(tmp_path: Path, bbb_video: Path) -> None:
    with pytest.raises(InputError, match="no frames found"):
        open_frames(tmp_path / "f.####.exr")
    _write_frames(tmp_path / "f.####.exr", [1, 3])
    with pytest.raises(InputError, match=r"frames 2 .*f\.0002\.exr"):
        open_frames(tmp_path / "f.####.exr")
    with pytest.raises(InputError, match="frames 100-140 are out of range"):
        open_frames(bbb_video, "100-140")
    with pytest.raises(InputError, match=re.escape(f"not found: {tmp_path / 'clip.mov'}")):
        open_frames(tmp_path / "clip.mov")


def test_size_mismatch_on_random_access(tmp_path: Path) -> None:
    _write_frames(tmp_path / "f.####.exr", [1, 2])
    _write_frames(tmp_path / "f.####.exr", [3], width=12)
    source = open_frames(tmp_path / "f.####.exr")
    with pytest.raises(InputError, match=r"frame 3 .* 12x6 .* first frame 1 is 8x6"):
        source.read(3)
