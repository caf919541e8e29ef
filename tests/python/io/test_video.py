# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.io.sequences import FrameRange
from synthfx.io.video import VideoReader


def test_smoke(bbb_video: Path) -> None:
    with VideoReader(bbb_video) as reader:
        assert reader.frame_count == 132
        assert (reader.height, reader.width) == (720, 1280)
        assert reader.frame_range == FrameRange(0, 131)
        assert reader.fps > 0
        pixels = reader.read(0)
    assert pixels.shape == (720, 1280, 3) and pixels.dtype == np.float32
    assert 0.0 <= pixels.min() and pixels.max() <= 1.0
    assert pixels.std() > 0.01  # a real picture, not a black frame


def test_seek_matches_sequential(bbb_video: Path) -> None:
    with VideoReader(bbb_video) as reader:
        sequential = {
            frame: pixels
            for frame, pixels in reader.frames(FrameRange(0, 40))
            if frame in (5, 37, 40)
        }
    assert not np.array_equal(sequential[37], sequential[40])
    with VideoReader(bbb_video) as reader:
        np.testing.assert_array_equal(reader.read(37), sequential[37])  # forward seek
        np.testing.assert_array_equal(reader.read(5), sequential[5])  # backward seek
        np.testing.assert_array_equal(reader.read(6 + 31), sequential[37])


def test_backward_reads_decode_windows_not_one_seek_per_frame(bbb_video: Path) -> None:
    """The reverse passes walk a shot backwards; each seek decodes from a keyframe."""
    with VideoReader(bbb_video) as reader:
        forward = {frame: pixels for frame, pixels in reader.frames(FrameRange(0, 70))}
        assert reader.seeks == 0
    with VideoReader(bbb_video) as reader:
        for frame in range(70, -1, -1):
            np.testing.assert_array_equal(reader.read(frame), forward[frame])
        assert reader.seeks == 4  # to 70, then windows of 32 frames: 38-69, 6-37, 0-5
        seeks = reader.seeks
        for frame in (0, 3, 6):  # still decoded: no decoder work
            np.testing.assert_array_equal(reader.read(frame), forward[frame])
        assert reader.seeks == seeks
    with VideoReader(bbb_video, cache_bytes=4 * 720 * 1280 * 3) as small:
        for frame in range(20, 9, -1):
            np.testing.assert_array_equal(small.read(frame), forward[frame])
        assert small.seeks == 4  # to 20, then windows of 4 frames: 16-19, 12-15, 8-11


def test_last_frame(bbb_video: Path) -> None:
    with VideoReader(bbb_video) as reader:
        assert reader.read(131).shape == (720, 1280, 3)


def test_exception(bbb_video: Path, tmp_path: Path) -> None:
    with VideoReader(bbb_video) as reader:
        with pytest.raises(InputError, match=r"frame 132 is out of range.*bigbuckbunny.*0-131"):
            reader.read(132)
        with pytest.raises(InputError, match="frame -1 is out of range"):
            reader.read(-1)
        with pytest.raises(InputError, match="frames 100-200 are out of range"):
            reader.frames(FrameRange(100, 200))
    with pytest.raises(InputError, match=re.escape(f"not found: {tmp_path / 'missing.mp4'}")):
        VideoReader(tmp_path / "missing.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video" * 100)
    with pytest.raises(InputError, match=re.escape(f"cannot open video {garbage}")):
        VideoReader(garbage)
