# SPDX-License-Identifier: Apache-2.0
"""The synthfx Deflicker node in our spec test host against a real ``synthfx serve``: frames
rendered out of order equal ``synthfx deflicker`` bit for bit (alpha and HDR kept), frames
needed are the window, and a Guide of another size fails with the backend's one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from ofx_testing import read_output, run_host, write_sequence

from synthfx.deflicker.flicker import add_flicker
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.pipeline import painterly

DEFLICKER = "org.synthfx.Deflicker"
FRAMES = 5
SIZE = (96, 54)
HDR_GAIN = 4.0  # the render's colours reach past 1
# The plugin's parameters of the job the CLI runs below (mode choice 0: fast, device 1: cpu).
PARAMS = ("mode=0", "window=2", "device=1")
CLI_ARGS = ("--mode", "fast", "--window", "2", "--device", "cpu")


@pytest.fixture(scope="module")
def deflicker_shot(bbb_video: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Big Buck Bunny plate frames 0-4 (96x54 RGB) and their flickering HDR RGBA render."""
    plate, render = {}, {}
    with VideoReader(bbb_video) as reader:
        for frame, pixels in reader.frames(FrameRange(40, 40 + FRAMES - 1)):
            number = frame - 40
            plate[number] = cv2.resize(pixels, SIZE, interpolation=cv2.INTER_AREA)
            colour = HDR_GAIN * add_flicker(painterly(plate[number]), seed=number)
            ramp = np.linspace(0.2, 1.0, SIZE[0], dtype=np.float32)
            alpha = np.broadcast_to(ramp, (SIZE[1], SIZE[0]))[..., None]
            render[number] = np.concatenate([colour, alpha], axis=2).astype(np.float32)
    return plate, render


def cli_deflicker(plate: dict, render: dict, directory: Path) -> Path:
    """``synthfx deflicker`` on the same job, from float EXRs; returns its output folder."""
    for f in render:
        write_image(directory / "render" / f"r.{f:04d}.exr", render[f], dtype="float")
        write_image(directory / "plate" / f"p.{f:04d}.exr", plate[f], dtype="float")
    command = [
        sys.executable, "-m", "synthfx.cli", "deflicker",
        "--frames", str(directory / "render" / "r.####.exr"),
        "--guide", str(directory / "plate" / "p.####.exr"),
        "--out", str(directory / "cli" / "d.####.exr"), "--dtype", "float", "--quiet",
        *CLI_ARGS,
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    return directory / "cli"


def deflicker_node(bundle: Path, clips: dict[str, str], out: Path, *args: str):
    out.mkdir(parents=True, exist_ok=True)
    command = ["--plugin", DEFLICKER, "--range", f"0-{FRAMES - 1}",
               "--out", str(out / "o.%04d.npy")]  # fmt: skip
    for name, pattern in clips.items():
        command += ["--clip", f"{name}={pattern}"]
    for param in PARAMS:
        command += ["--param", param]
    return run_host(bundle, *command, *args)


def test_render_equals_cli(bundle, deflicker_shot, backend, tmp_path) -> None:
    plate, render = deflicker_shot
    cli = cli_deflicker(plate, render, tmp_path)
    clips = {"Source": write_sequence(tmp_path / "source", render),
             "Guide": write_sequence(tmp_path / "guide", plate)}  # fmt: skip
    order = (2, 0, 4)
    run = deflicker_node(bundle, clips, tmp_path / "ofx", "--frames", ",".join(map(str, order)),
                         "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert not run.of("fetch_outside_declared") and not run.of("leaked_images")
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(2, "Source")] == [0, 4] and needed[(2, "Guide")] == [0, 4]
    assert needed[(0, "Source")] == [0, 2] and needed[(4, "Guide")] == [2, 4]
    for frame in order:
        expected = read_image(cli / f"d.{frame:04d}.exr").pixels
        got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), frame)
        assert got.shape == expected.shape == (SIZE[1], SIZE[0], 4)
        assert np.array_equal(got, expected), f"frame {frame} differs from the CLI"
        assert got[..., :3].max() > 1.5 and got[..., 3].min() < 0.3  # HDR and alpha kept
    assert run.of("render")[0]["progress_updates"] > 0


def test_exception_guide_of_another_size(bundle, deflicker_shot, backend, tmp_path) -> None:
    plate, render = deflicker_shot
    small = {f: cv2.resize(p, (48, 27), interpolation=cv2.INTER_AREA) for f, p in plate.items()}
    clips = {"Source": write_sequence(tmp_path / "source", render),
             "Guide": write_sequence(tmp_path / "guide", small)}  # fmt: skip
    run = deflicker_node(bundle, clips, tmp_path / "ofx", "--frames", "2",
                         "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {2: 1}  # kOfxStatFailed
    persistent = [e["text"] for e in run.of("persistent_message")]
    assert persistent and "guide frame 2 is 48x27, the render is 96x54" in persistent[-1]
    assert len(persistent[-1].splitlines()) == 1
    assert not any((tmp_path / "ofx").iterdir())
