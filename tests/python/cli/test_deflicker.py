# SPDX-License-Identifier: Apache-2.0
"""``synthfx deflicker`` end to end on real EXR sequences, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.cli import main
from synthfx.deflicker import Deflicker, DeflickerOptions
from synthfx.deflicker.flicker import add_flicker
from synthfx.io import FrameRange, VideoReader, open_frames, read_image, write_image
from synthfx.pipeline import painterly

FRAMES = range(1001, 1006)


@pytest.fixture(scope="module")
def shot(bbb_video: Path, tmp_path_factory) -> Path:
    """Plate p.1001-1005 (96x54 float EXR) and its flickering painterly render r.####.exr."""
    root = tmp_path_factory.mktemp("deflicker-shot")
    with VideoReader(bbb_video) as reader:
        for frame, pixels in reader.frames(FrameRange(40, 44)):
            plate = cv2.resize(pixels, (96, 54), interpolation=cv2.INTER_AREA)
            number = frame - 40 + FRAMES.start
            write_image(root / f"p.{number:04d}.exr", plate, dtype="float")
            render = add_flicker(painterly(plate), seed=number)
            write_image(root / f"r.{number:04d}.exr", render, dtype="float")
    return root


def deflicker_args(shot: Path, out: Path, *extra: str) -> list[str]:
    return [
        "deflicker",
        "--frames", str(shot / "r.####.exr"),
        "--guide", str(shot / "p.####.exr"),
        "--range", "1001-1005",
        "--out", str(out / "d.####.exr"),
        "--mode", "fast",
        "--window", "2",
        "--dtype", "float",
        "--quiet",
        *extra,
    ]  # fmt: skip


def test_writes_every_frame_then_skips_them(shot: Path, tmp_path: Path, capsys) -> None:
    assert main(deflicker_args(shot, tmp_path, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["written"], report["skipped"], report["remaps"]) == (5, 0, 14)
    written = {f: read_image(tmp_path / f"d.{f}.exr").pixels for f in FRAMES}
    assert all(image.shape == (54, 96, 4) for image in written.values())

    # The Python API on the same files gives the same pixels (alpha 1 added: RGB render).
    job = Deflicker(
        open_frames(shot / "r.####.exr"),
        open_frames(shot / "p.####.exr"),
        options=DeflickerOptions(mode="fast", window=2),
    )
    np.testing.assert_array_equal(written[1003][..., :3], job.render(1003).image)
    np.testing.assert_array_equal(written[1003][..., 3], 1.0)

    assert main(deflicker_args(shot, tmp_path, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["written"], report["skipped"], report["remaps"]) == (0, 5, 0)

    # A frame deleted by hand is written again from the cache, without remapping.
    (tmp_path / "d.1002.exr").unlink()
    assert main(deflicker_args(shot, tmp_path, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["written"], report["skipped"], report["remaps"]) == (1, 4, 0)
    np.testing.assert_array_equal(read_image(tmp_path / "d.1002.exr").pixels, written[1002])


def test_exception(shot: Path, tmp_path: Path, capsys) -> None:
    def error(*argv: str) -> str:
        assert main(list(argv)) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines  # one line, never a traceback
        return lines[0]

    args = deflicker_args(shot, tmp_path)
    assert "window must be >= 1, got 0" in error(*args, "--window", "0")
    assert "window 5 reaches past the whole shot (1001-1005, 5 frames)" in error(
        *args, "--window", "5"
    )
    guide = args.index("--guide") + 1
    missing = [*args[:guide], str(tmp_path / "none.####.exr"), *args[guide + 1 :]]
    assert "5 of 5 frames of" in error(*missing)
    small = tmp_path / "small"
    small.mkdir()
    for frame in FRAMES:
        write_image(small / f"p.{frame}.exr", np.zeros((27, 48, 3), np.float32), dtype="float")
    odd = [*args[:guide], str(small / "p.####.exr"), *args[guide + 1 :]]
    assert "guide frame 1001 is 48x27, the render is 96x54" in error(*odd)
    out = args.index("--out") + 1
    over = [*args[:out], str(shot / "r.####.exr"), *args[out + 1 :]]
    assert "would overwrite the --frames file" in error(*over)
