# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.io.images import write_image
from synthfx.io.sequences import FrameRange, FrameSequence, compact_frames, read_sequence


def _write_frames(pattern: Path, frames: range, shape: tuple[int, int, int] = (6, 8, 3)) -> None:
    sequence = FrameSequence(pattern)
    for frame in frames:
        write_image(sequence.path(frame), np.full(shape, frame / 100.0, np.float32), dtype="float")


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("1001-1100", 1001, 1100),
        ("1001", 1001, 1001),
        (" 7 - 9 ", 7, 9),
        ("-5-5", -5, 5),
        ("-10--3", -10, -3),
    ],
)
def test_frame_range_parse(text: str, first: int, last: int) -> None:
    frame_range = FrameRange.parse(text)
    assert (frame_range.first, frame_range.last) == (first, last)
    assert list(frame_range) == list(range(first, last + 1))
    assert len(frame_range) == last - first + 1
    assert FrameRange.parse(str(frame_range)) == frame_range


def test_frame_range_contains() -> None:
    frame_range = FrameRange(1001, 1003)
    assert 1001 in frame_range and np.int64(1003) in frame_range
    assert 1004 not in frame_range and "1001" not in frame_range


@pytest.mark.parametrize("text", ["1100-1001", "abc", "1-2-3", "", "10:20"])
def test_frame_range_exception(text: str) -> None:
    with pytest.raises(InputError, match="invalid frame range"):
        FrameRange.parse(text)


@pytest.mark.parametrize(
    ("pattern", "frame", "name"),
    [
        ("shot/f.####.exr", 7, "f.0007.exr"),
        ("shot/f.%04d.exr", 7, "f.0007.exr"),
        ("shot/f.#.png", 7, "f.7.png"),
        ("shot/f.%d.png", 1001, "f.1001.png"),
        ("shot/f.####.exr", 12345, "f.12345.exr"),
        ("shot/f.%04d.exr", -5, "f.-005.exr"),
        ("shot/plate.exr", 3, "plate.exr"),
    ],
)
def test_pattern_path(pattern: str, frame: int, name: str) -> None:
    sequence = FrameSequence(pattern)
    assert sequence.path(frame) == Path("shot") / name
    assert sequence.is_still == (name == "plate.exr")
    if not sequence.is_still:
        assert sequence.frame_of(name) == frame


def test_frame_of_rejects_other_padding() -> None:
    sequence = FrameSequence("f.####.exr")
    assert sequence.frame_of("f.00012.exr") is None
    assert sequence.frame_of("f.0012.exr") == 12
    assert sequence.frame_of("f.0012.exr.bak") is None
    assert sequence.frame_of("g.0012.exr") is None


@pytest.mark.parametrize("pattern", ["f.####.%04d.exr", "sh##/f.####.exr"])
def test_pattern_exception(pattern: str) -> None:
    with pytest.raises(InputError, match="placeholder"):
        FrameSequence(pattern)


def test_existing_frames(tmp_path: Path) -> None:
    _write_frames(tmp_path / "f.####.exr", range(1001, 1004))
    for decoy in ["f.001.exr", "f.1009.exr.bak", ".f.1010.tmp-1a2b.exr", "g.1011.exr"]:
        (tmp_path / decoy).write_bytes(b"")
    (tmp_path / "f.1012.exr").mkdir()
    assert FrameSequence(tmp_path / "f.%04d.exr").existing_frames() == [1001, 1002, 1003]
    assert FrameSequence(tmp_path / "nowhere" / "f.####.exr").existing_frames() == []


def test_check_complete_names_missing(tmp_path: Path) -> None:
    pattern = tmp_path / "f.####.exr"
    _write_frames(pattern, range(1, 11))
    for frame in (3, 6, 7, 8, 9):
        FrameSequence(pattern).path(frame).unlink()
    sequence = FrameSequence(pattern)
    sequence.check_complete(FrameRange(1, 2))
    with pytest.raises(InputError) as error:
        sequence.check_complete(FrameRange(1, 10))
    message = str(error.value)
    assert "5 of 10 frames" in message
    assert "frames 3, 6-9" in message
    assert str(tmp_path / "f.0003.exr") in message and str(tmp_path / "f.0006.exr") in message
    assert "f.0009.exr" not in message  # only the first few files are named


def test_compact_frames_limit() -> None:
    assert compact_frames([5, 1, 2, 3, 9]) == "1-3, 5, 9"
    assert compact_frames(range(0, 40, 2), limit=3) == "0, 2, 4, ..."


def test_read_sequence_streams(tmp_path: Path) -> None:
    pattern = tmp_path / "f.####.exr"
    _write_frames(pattern, range(1, 4))
    frames = read_sequence(FrameSequence(pattern), FrameRange(1, 3))
    frame, pixels = next(frames)
    assert frame == 1 and pixels.shape == (6, 8, 3) and pixels[0, 0, 0] == np.float32(0.01)
    # Frames are read when reached: a frame replaced now is what comes out.
    write_image(FrameSequence(pattern).path(2), np.full((6, 8, 3), 0.5, np.float32))
    assert next(frames)[1][0, 0, 0] == 0.5
    assert [frame for frame, _ in frames] == [3]


def test_read_sequence_missing_frame_fails_before_reading(tmp_path: Path) -> None:
    pattern = tmp_path / "f.####.exr"
    _write_frames(pattern, [1, 2, 4])
    with pytest.raises(InputError, match=r"frames 3 .*f\.0003\.exr"):
        read_sequence(FrameSequence(pattern), FrameRange(1, 4))


def test_read_sequence_size_mismatch(tmp_path: Path) -> None:
    pattern = tmp_path / "f.####.exr"
    _write_frames(pattern, range(1, 3))
    _write_frames(pattern, range(3, 4), shape=(6, 10, 3))
    frames = read_sequence(FrameSequence(pattern), FrameRange(1, 3))
    assert [next(frames)[0], next(frames)[0]] == [1, 2]
    with pytest.raises(InputError) as error:
        next(frames)
    message = str(error.value)
    assert "frame 3" in message and "f.0003.exr" in message
    assert "10x6 with 3 channels" in message and "first frame 1 is 8x6 with 3 channels" in message
