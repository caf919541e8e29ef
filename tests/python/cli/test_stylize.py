# SPDX-License-Identifier: Apache-2.0
"""``synthfx stylize`` end to end on real EXR sequences and a real video file."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.cli import main
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.pipeline import MemoryFrames, Stylizer, painterly
from synthfx.pipeline.options import StylizeOptions

FAST_ENGINE = ["--search-vote-iters", "3", "--patchmatch-iters", "2"]


@pytest.fixture(scope="module")
def shot(bbb_video: Path, tmp_path_factory) -> Path:
    """Frames 1001-1005 (128x72 float EXR) and painted keys 1001 and 1005."""
    root = tmp_path_factory.mktemp("shot")
    reader = VideoReader(bbb_video)
    for frame, pixels in reader.frames(FrameRange(0, 4)):
        small = cv2.resize(pixels, None, fx=0.1, fy=0.1, interpolation=cv2.INTER_AREA)
        write_image(root / f"f.{1001 + frame:04d}.exr", small, dtype="float")
        if frame in (0, 4):
            write_image(root / f"k.{1001 + frame:04d}.exr", painterly(small), dtype="float")
    reader.close()
    return root


def stylize_args(shot: Path, out: Path, *extra: str) -> list[str]:
    return [
        "stylize",
        "--frames", str(shot / "f.####.exr"),
        "--range", "1001-1005",
        "--key", f"1001={shot / 'k.1001.exr'}",
        "--key", f"1005={shot / 'k.1005.exr'}",
        "--out", str(out / "s.####.exr"),
        "--quiet",
        *FAST_ENGINE,
        *extra,
    ]  # fmt: skip


def test_writes_every_frame_then_skips_them(shot: Path, tmp_path: Path, capsys) -> None:
    assert main(stylize_args(shot, tmp_path, "--json", "--dtype", "float")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] == 5 and report["skipped"] == 0
    assert set(report["seconds_per_frame"]) >= {"flow", "guides", "synthesis", "blend", "write"}
    first = {f: read_image(tmp_path / f"s.{f}.exr").pixels for f in range(1001, 1006)}
    assert all(image.shape == (72, 128, 4) for image in first.values())
    np.testing.assert_array_equal(first[1001][..., :3], read_image(shot / "k.1001.exr").pixels)

    assert main(stylize_args(shot, tmp_path, "--json", "--dtype", "float")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] == 0 and report["skipped"] == 5

    # A frame edited or deleted by hand is written again, the others are not.
    (tmp_path / "s.1003.exr").unlink()
    write_image(tmp_path / "s.1004.exr", np.zeros((72, 128, 4), np.float32), dtype="float")
    assert main(stylize_args(shot, tmp_path, "--json", "--dtype", "float")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] == 2 and report["skipped"] == 3
    for frame in (1003, 1004):
        again = read_image(tmp_path / f"s.{frame}.exr").pixels
        np.testing.assert_array_equal(again, first[frame])


def test_matches_the_python_api(shot: Path, tmp_path: Path) -> None:
    assert main(stylize_args(shot, tmp_path, "--dtype", "float", "--only", "forward")) == 0
    frames = MemoryFrames({f: read_image(shot / f"f.{f}.exr").pixels for f in range(1001, 1006)})
    keys = {f: read_image(shot / f"k.{f}.exr").pixels for f in (1001, 1005)}
    options = StylizeOptions(only="forward")
    engine = options.engine.__class__(
        **{**options.engine.__dict__, "search_vote_iters": 3, "patchmatch_iters": 2}
    )
    stylizer = Stylizer(frames, keys, options=StylizeOptions(only="forward", engine=engine))
    for frame in (1002, 1004):
        written = read_image(tmp_path / f"s.{frame}.exr").pixels
        np.testing.assert_array_equal(written, stylizer.render(frame).image)
    stylizer.close()


def test_video_input_mask_and_error_maps(bbb_video: Path, shot: Path, tmp_path: Path) -> None:
    # Keys painted at the video's full size; a 1280x720 run would be slow, so use a mask
    # sequence only for the check of its effect and a short range.
    reader = VideoReader(bbb_video)
    key = painterly(reader.read(0))
    reader.close()
    write_image(tmp_path / "k0.exr", key, dtype="half")
    mask = np.zeros((720, 1280), np.float32)
    mask[:, 640:] = 1.0
    for frame in (0, 1):
        write_image(tmp_path / f"m.{frame:02d}.exr", mask, dtype="half")
    status = main(
        [
            "stylize", "--frames", str(bbb_video), "--range", "0-1",
            "--key", f"0={tmp_path / 'k0.exr'}", "--mask", str(tmp_path / "m.##.exr"),
            "--out", str(tmp_path / "o.####.exr"), "--error-out", str(tmp_path / "e.####.exr"),
            "--quiet", "--pyramid-levels", "3", "--search-vote-iters", "1",
            "--patchmatch-iters", "1", "--no-extra-pass-3x3",
        ]
    )  # fmt: skip
    assert status == 0
    out = read_image(tmp_path / "o.0001.exr").pixels
    assert out.shape == (720, 1280, 4)
    assert np.all(out[:, :600] == 0.0) and np.all(out[:, 700:, 3] == 1.0)
    error = read_image(tmp_path / "e.0001.exr").pixels
    assert error.shape == (720, 1280, 1) and error.mean() > 0.0


def job(shot: Path, out: str, keys: list[str], *extra: str) -> list[str]:
    args = ["stylize", "--frames", str(shot / "f.####.exr"), "--out", out, "--quiet"]
    for key in keys:
        args += ["--key", key]
    return args + list(extra)


@pytest.mark.parametrize(
    ("keys", "out", "extra", "message"),
    [
        ([], "s.####.exr", [], "no keyframes: give at least one --key FRAME=PATH"),
        (["abc"], "s.####.exr", [], "--key 'abc': expected FRAME=PATH"),
        (["1009=k.1001.exr"], "s.####.exr", [], r"keyframe\(s\) 1009 outside the frame range"),
        (["1001=nokey.exr"], "s.####.exr", [], r"nokey\.exr"),
        (["1001=k.1001.exr", "1001=k.1005.exr"], "s.####.exr", [], "frame 1001 given twice"),
        (["1001=k.1001.exr"], "s.exr", [], "has no frame placeholder"),
        (["1001=k.1001.exr"], "s.####.png", ["--dtype", "half"], "PNG stores"),
        (["1001=k.1001.exr"], "s.####.exr", ["--range", "1001-1009"], "1006"),
        (["1001=k.1001.exr"], "s.####.exr", ["--flow", "farneback"], "farneback"),
        (["1001=k.1001.exr"], "s.####.exr", ["--image-weight", "-2"], "image_weight must be"),
    ],
)
def test_errors_name_the_problem(
    shot: Path, tmp_path: Path, capsys, keys: list[str], out: str, extra: list[str], message: str
) -> None:
    keys = [key.replace("=", f"={shot}/", 1) if "=" in key else key for key in keys]
    assert main(job(shot, str(tmp_path / out), keys, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthfx stylize: error: "), err
    assert re.search(message, err), err
    assert not list(tmp_path.glob("s.*"))


@pytest.mark.parametrize(
    ("out", "extra", "message"),
    [
        ("in/f.####.exr", [], r"--out would overwrite the --frames file .*in/f\.1001\.exr"),
        ("in/k.####.exr", [], r"--out would overwrite the --key 1001 file .*in/k\.1001\.exr"),
        (
            "s.####.exr",
            ["--error-out", "in/f.####.exr"],
            "--error-out would overwrite the --frames",
        ),
        ("s.####.exr", ["--error-out", "s.####.exr"], "names the same files as --out"),
        ("s.####.exr", ["--error-out", "e.####.png"], "error maps need float, which PNG does not"),
        ("s.####", [], r"unsupported image extension '\.####' for .*/s\.####"),
        ("in/f.1001.exr/s.####.exr", [], r"in/f\.1001\.exr is not a directory"),
    ],
)
def test_exception_outputs_checked_before_any_work(
    shot: Path, tmp_path: Path, capsys, out: str, extra: list[str], message: str
) -> None:
    shutil.copytree(shot, tmp_path / "in")
    before = {path.name: path.read_bytes() for path in (tmp_path / "in").iterdir()}
    extra = [str(tmp_path / arg) if "#" in arg else arg for arg in extra]
    keys = [f"1001={tmp_path / 'in' / 'k.1001.exr'}"]
    args = job(tmp_path / "in", str(tmp_path / out), keys, "--range", "1001-1002", *extra)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthfx stylize: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert {path.name: path.read_bytes() for path in (tmp_path / "in").iterdir()} == before
    assert not list(tmp_path.glob("[se].*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_exception_output_directory_not_writable(shot: Path, tmp_path: Path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        args = job(shot, str(locked / "s.####.exr"), [f"1001={shot / 'k.1001.exr'}"])
        status = main([*args, "--cache", str(tmp_path / "cache")])
    finally:
        locked.chmod(0o700)
    assert status == 2
    assert re.search(r"the directory .*locked is not writable", capsys.readouterr().err)
    assert not (tmp_path / "cache").exists()  # refused before the first pass


def test_interrupted_run_keeps_whole_frames_and_resumes(tmp_path: Path) -> None:
    # 40 small frames, one key: the forward pass runs for seconds after the key's frame is
    # written, so the SIGINT lands inside it.
    rng = np.random.default_rng(0)
    base = rng.random((48, 64, 3), dtype=np.float32)
    for frame in range(1, 41):
        write_image(tmp_path / f"f.{frame:04d}.exr", np.roll(base, frame, axis=1), dtype="float")
    write_image(tmp_path / "k.exr", painterly(np.roll(base, 1, axis=1)), dtype="float")
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "synthfx.cli", "stylize",
        "--frames", str(tmp_path / "f.####.exr"), "--key", f"1={tmp_path / 'k.exr'}",
        "--out", str(out / "s.####.exr"), "--quiet", "--json", "--flow", "dis-ultrafast",
        "--threads", "1",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "s.0001.exr").exists() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "synthfx stylize: interrupted" and "Traceback" not in err
    written = sorted(path.name for path in out.glob("*.exr"))
    assert written and len(written) < 40
    assert not [path.name for path in out.glob(".*tmp*")]  # no temporary left either
    for name in written:  # every frame under its final name is whole
        assert read_image(out / name).pixels.shape == (48, 64, 4)

    rerun = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["skipped"] == len(written) and report["written"] == 40 - len(written)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--patch-size", "4"], r"patch_size must be odd, >= 3 and <= \d+ \(got 4\)"),
        (["--pyramid-levels", "0"], r"pyramid_levels must be -1 .* \(got 0\)"),
        (["--search-vote-iters", "0"], r"search_vote_iters must be >= 1 \(got 0\)"),
        (["--uniformity", "-1"], r"uniformity must be a finite number >= 0 \(got -1\)"),
        (["--threads", "-3"], r"threads must be >= 0 \(got -3\)"),
    ],
)
def test_exception_engine_options_checked_before_any_work(
    shot: Path, tmp_path: Path, capsys, extra: list[str], message: str
) -> None:
    """Before, the keyframe's frame was written before the first synthesis refused them."""
    args = job(shot, str(tmp_path / "s.####.exr"), [f"1001={shot / 'k.1001.exr'}"], *extra)
    assert main([*args, "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err
    assert not list(tmp_path.glob("s.*")) and not (tmp_path / "cache").exists()


def test_exception_odd_sized_frame_found_before_any_work(shot: Path, tmp_path: Path, capsys):
    shutil.copytree(shot, tmp_path / "in")
    write_image(tmp_path / "in" / "f.1004.exr", np.zeros((10, 12, 3), np.float32), dtype="float")
    args = job(tmp_path / "in", str(tmp_path / "s.####.exr"), [f"1001={shot / 'k.1001.exr'}"])
    assert main([*args, "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"frame 1004 \(.*f\.1004\.exr\) is 12x10", err), err
    assert not list(tmp_path.glob("s.*")) and not (tmp_path / "cache").exists()
