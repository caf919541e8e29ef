# SPDX-License-Identifier: Apache-2.0
"""The synthfx Key Sheet node in our spec test host against a real ``synthfx serve``: its output
equals ``synthfx sheet pack``'s sheet (float EXR, bit for bit), of the sheet's size (its region
of definition), with the layout written to Layout File; only the key frames are fetched; and
the one-line errors. Then synthfx Stylize given a styled sheet and its layout (Key Sheet
Layout, the sheet as Style Frames File or as the Style input) equals ``synthfx stylize --sheet
--layout``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from ofx_testing import (
    FAST_PARAMS,
    KEY_SHEET,
    SHEET_FRAMES,
    SHEET_SIZE,
    STYLIZE,
    cli_pack,
    read_output,
    run_host,
    sheet_plate,
    start_backend,
    write_sequence,
)
from service_testing import FAST_ENGINE, FAST_FLOW, paint

from synthfx.io import read_image, write_image

FRAMES = SHEET_FRAMES
SIZE = SHEET_SIZE
PROXY = ("--render-scale", "0.5")  # the test host's half-size proxy render


def _disc(frame: int) -> np.ndarray:
    """A soft disc moving right 5 px a frame: (H, W, 1) float32 matte."""
    width, height = SIZE
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot(x - (18 + 5 * frame), y - 25) - 11.0
    return np.clip(0.5 - distance / 2, 0, 1).astype(np.float32)[..., None]


@pytest.fixture(scope="module")
def plate(bbb_video: Path) -> dict[int, np.ndarray]:
    return sheet_plate(bbb_video)


def key_sheet(
    bundle: Path, clips: dict[str, str], out: Path, *params: str, frame: int = 4, host=()
):
    """Renders `frame` of the node (``host``: more test host options)."""
    out.mkdir(parents=True, exist_ok=True)
    command = ["--plugin", KEY_SHEET, "--range", f"0-{FRAMES - 1}", "--frames", str(frame),
               "--out", str(out / "o.%04d.npy"), *host]  # fmt: skip
    for name, pattern in clips.items():
        command += ["--clip", f"{name}={pattern}"]
    for param in params:
        command += ["--param", param]
    return run_host(bundle, *command)


@pytest.mark.parametrize(
    ("params", "cli", "keys"),
    [
        (("grid=2",), ("--grid", "2"), [0, 3, 5, 8]),
        (("grid=2", "keys=1,6,7"), ("--grid", "2", "--keys", "1,6,7"), [1, 6, 7]),
    ],
    ids=["auto", "list"],
)
def test_render_equals_cli(bundle, plate, backend, tmp_path, params, cli, keys) -> None:
    expected = cli_pack(plate, tmp_path, *cli)
    layout = tmp_path / "node" / "sheet.json"
    layout.parent.mkdir()
    clips = {"Source": write_sequence(tmp_path / "source", plate)}
    run = key_sheet(bundle, clips, tmp_path / "ofx", *params, f"layoutFile={layout}",
                    f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert not run.of("fetch_outside_declared") and not run.of("leaked_images")
    needed = {e["clip"]: e["ranges"] for e in run.of("frames_needed")}
    assert needed["Source"] == [k for k in keys for _ in range(2)]
    sheet = read_image(expected).pixels
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 4)
    assert got.shape[:2] == sheet.shape[:2] == (2 * SIZE[1], 2 * SIZE[0])  # its RoD
    assert np.array_equal(got[..., :3], sheet) and (got[..., 3] == 1).all()
    assert layout.read_text() == expected.with_suffix(".json").read_text()


@pytest.mark.parametrize("profile", ["no-frame-range", "sequence-range-only"])
def test_shot_from_duration_or_sequence_equals_cli(bundle, plate, backend, tmp_path, profile):
    """A host that tells no clip frame range: the shot is the effect's duration, else the
    sequence being rendered; auto keys spread over it as over the clip's range."""
    expected = cli_pack(plate, tmp_path, "--grid", "2")
    clips = {"Source": write_sequence(tmp_path / "source", plate)}
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", f"backendAddress={backend.address}",
                    host=("--profile", profile))  # fmt: skip
    assert run.returncode == 0, run.messages()
    needed = {e["clip"]: e["ranges"] for e in run.of("frames_needed")}
    assert needed["Source"] == [0, 0, 3, 3, 5, 5, 8, 8]
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 4)
    assert np.array_equal(got[..., :3], read_image(expected).pixels)


def test_anamorphic_equals_cli(bundle, plate, backend, tmp_path) -> None:
    """Pixel aspect 2: the region of definition is canonical (twice the sheet's pixel width),
    the pixels are sheet pack's of the same frames."""
    expected = cli_pack(plate, tmp_path, "--grid", "2")
    layout = tmp_path / "sheet.json"
    clips = {"Source": write_sequence(tmp_path / "source", plate)}
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", f"layoutFile={layout}",
                    f"backendAddress={backend.address}", host=("--pixel-aspect", "2"))  # fmt: skip
    assert run.returncode == 0, run.messages()
    width, height = 2 * SIZE[0], 2 * SIZE[1]
    assert run.of("region_of_definition")[-1]["canonical"] == [0, 0, 2 * width, height]
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 4)
    assert got.shape[:2] == (height, width)
    assert np.array_equal(got[..., :3], read_image(expected).pixels)
    assert layout.read_text() == expected.with_suffix(".json").read_text()


def _half_size(pixels: np.ndarray) -> np.ndarray:
    """The test host's proxy (render scale 0.5) of a frame: 2x2 box filter, summed in its
    order, so equal to the bit."""
    pixels = pixels.astype(np.float32)
    total = pixels[0::2, 0::2] + pixels[0::2, 1::2]
    total = total + pixels[1::2, 0::2]
    return (total + pixels[1::2, 1::2]) / np.float32(4)


@pytest.mark.parametrize(
    ("params", "cli"),
    [((), ()), (("cellWidth=64", "cellHeight=36"), ("--cell-size", "32x18"))],
    ids=["source-size", "cell-size"],
)
def test_proxy_is_sheet_of_proxy_frames(bundle, plate, backend, tmp_path, params, cli) -> None:
    """Render scale 0.5: sheet pack of the host's half-size frames into half-size cells, the
    region of definition still the full sheet's; Layout File is not written (it describes the
    full-size sheet, which a proxy render does not make)."""
    proxy = {f: _half_size(pixels) for f, pixels in plate.items()}
    expected = read_image(cli_pack(proxy, tmp_path, "--grid", "2", *cli)).pixels
    layout = tmp_path / "node" / "sheet.json"
    layout.parent.mkdir()
    clips = {"Source": write_sequence(tmp_path / "source", plate)}
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", *params, f"layoutFile={layout}",
                    f"backendAddress={backend.address}", host=PROXY)  # fmt: skip
    assert run.returncode == 0, run.messages()
    cell = (64, 36) if params else SIZE
    assert run.of("region_of_definition")[-1]["canonical"] == [0, 0, 2 * cell[0], 2 * cell[1]]
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 4)
    assert got.shape[:2] == expected.shape[:2] == (cell[1], cell[0])  # 2x2 cells of half size
    assert np.array_equal(got[..., :3], expected)
    assert not layout.exists()


def test_proxy_crop_to_matte_scales_margin(bundle, plate, backend, tmp_path) -> None:
    """Crop To Matte at render scale 0.5: the proxy frames and mattes packed with the margin in
    proxy pixels (3 -> 2)."""
    matte = {f: _disc(f) for f in plate}
    half = SIZE[0] // 2, SIZE[1] // 2
    expected = cli_pack({f: _half_size(p) for f, p in plate.items()}, tmp_path, "--grid", "2",
                        "--crop-to-matte", "--margin", "2", "--cell-size", f"{half[0]}x{half[1]}",
                        matte={f: _half_size(m) for f, m in matte.items()})  # fmt: skip
    clips = {"Source": write_sequence(tmp_path / "source", plate),
             "Matte": write_sequence(tmp_path / "matte", matte)}  # fmt: skip
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", "cropToMatte=1", "margin=3",
                    f"backendAddress={backend.address}", host=PROXY)  # fmt: skip
    assert run.returncode == 0, run.messages()
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 4)
    assert np.array_equal(got[..., :3], read_image(expected).pixels)


def test_crop_to_matte_equals_cli(bundle, plate, backend, tmp_path) -> None:
    """Crop To Matte with cells at the Source's size (0): sheet pack --cell-size of the plate."""
    matte = {f: _disc(f) for f in plate}
    expected = cli_pack(plate, tmp_path, "--grid", "2", "--crop-to-matte", "--margin", "3",
                        "--cell-size", f"{SIZE[0]}x{SIZE[1]}", matte=matte)  # fmt: skip
    layout = tmp_path / "sheet.json"
    clips = {"Source": write_sequence(tmp_path / "source", plate),
             "Matte": write_sequence(tmp_path / "matte", matte)}  # fmt: skip
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", "cropToMatte=1", "margin=3",
                    f"layoutFile={layout}", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    needed = {e["clip"]: e["ranges"] for e in run.of("frames_needed")}
    assert needed["Matte"] == needed["Source"] == [0, 0, 3, 3, 5, 5, 8, 8]
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 4)
    assert np.array_equal(got[..., :3], read_image(expected).pixels)
    assert json.loads(layout.read_text())["cells"][0]["scale"] > 1  # crops scaled up to fit
    assert layout.read_text() == expected.with_suffix(".json").read_text()


def test_exception(bundle, plate, backend, tmp_path) -> None:
    clips = {"Source": write_sequence(tmp_path / "source", plate)}
    address = f"backendAddress={backend.address}"
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=4", address)
    assert run.returncode == 1 and run.renders() == {4: 1}
    persistent = [e["text"] for e in run.of("persistent_message")]
    assert (
        persistent
        and "a 4x4 sheet needs 16 key frames, but the frames 0-8 are only 9" in (persistent[-1])
    )
    assert len(persistent[-1].splitlines()) == 1
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", "cropToMatte=1", address)
    assert run.returncode == 1
    assert "Crop To Matte needs a Matte" in run.messages()
    run = key_sheet(bundle, clips, tmp_path / "ofx", "grid=2", "layoutFile=sheet.json", address)
    assert run.returncode == 1
    assert "Layout File must be an absolute path, got sheet.json" in run.messages()
    assert not any((tmp_path / "ofx").iterdir())


# -- Stylize with a styled key sheet ---------------------------------------------------------


@pytest.fixture(scope="module")
def styled(plate, tmp_path_factory) -> Path:
    """A read root with the plate (p.####.exr), the sheet of keys 0, 4, 8 packed by the CLI,
    its layout sheet.json, and the sheet 'stylized' at once: styled.exr."""
    root = tmp_path_factory.mktemp("styled-sheet")
    sheet = cli_pack(plate, root, "--grid", "2", "--keys", "0,4,8")
    (root / "sheet.json").write_text(sheet.with_suffix(".json").read_text())
    write_image(root / "styled.exr", paint(read_image(sheet).pixels, 1), dtype="float")
    return root


def cli_stylize_sheet(root: Path, out: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "synthfx.cli",
        "stylize",
        "--frames",
        str(root / "plate" / "p.####.exr"),
        "--sheet",
        str(root / "styled.exr"),
        "--layout",
        str(root / "sheet.json"),
        "--out",
        str(out / "o.####.exr"),
        "--dtype",
        "float",
        "--flow",
        FAST_FLOW,
        "--device",
        "cpu",
        "--quiet",
        *(f"--{name.replace('_', '-')}={value}" for name, value in FAST_ENGINE.items()),
    ]
    subprocess.run(command, check=True, capture_output=True, text=True)  # fmt: skip
    return out


def stylize_node(bundle: Path, clips: dict[str, str], out: Path, *args: str):
    out.mkdir(parents=True, exist_ok=True)
    command = ["--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}", "--out", str(out / "o.%04d.npy")]
    for name, pattern in clips.items():
        command += ["--clip", f"{name}={pattern}"]
    for param in FAST_PARAMS:
        command += ["--param", param]
    return run_host(bundle, *command, *args)


def test_stylize_with_styled_sheet_equals_cli(bundle, plate, styled, tmp_path) -> None:
    expected = cli_stylize_sheet(styled, tmp_path / "cli")
    server = start_backend(tmp_path / "backend", "127.0.0.1:0", "--read-root", str(styled))
    try:
        source = write_sequence(tmp_path / "source", plate)
        common = ("--frames", "2,8", "--param", f"styleSheetLayout={styled / 'sheet.json'}",
                  "--param", f"backendAddress={server.address}")  # fmt: skip
        # Single-input hosts: Style Frames File names the styled sheet; the backend reads it.
        files = stylize_node(bundle, {"Source": source}, tmp_path / "filter", "--context",
                             "Filter", "--param", f"styleFile={styled / 'styled.exr'}",
                             *common)  # fmt: skip
        # Multi-input hosts: the styled sheet as the Style input, read at the frame rendered.
        sheet = {f: read_image(styled / "styled.exr").pixels for f in plate}
        general = stylize_node(bundle, {"Source": source,
                               "Style": write_sequence(tmp_path / "style", sheet)},
                               tmp_path / "general", *common)  # fmt: skip
    finally:
        server.kill()
    for run, out in ((files, "filter"), (general, "general")):
        assert run.returncode == 0, run.messages()
        needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
        assert needed[(2, "Source")] == [0, 4] and needed[(8, "Source")] == [4, 8]
        if out == "general":
            assert needed[(2, "Style")] == [2, 2]  # the sheet, not the key frames
        for frame in (2, 8):
            want = read_image(expected / f"o.{frame:04d}.exr").pixels
            got = read_output(str(tmp_path / out / "o.%04d.npy"), frame)
            assert np.array_equal(got[..., : want.shape[2]], want), (out, frame)


def test_stylize_exception_sheet_of_another_size(bundle, plate, styled, tmp_path) -> None:
    """A styled sheet resized by some tool: the backend's one line naming the size expected."""
    small = cv2.resize(read_image(styled / "styled.exr").pixels, (100, 60))
    sheet = {f: small for f in plate}
    server = start_backend(tmp_path / "backend")
    try:
        run = stylize_node(bundle, {"Source": write_sequence(tmp_path / "source", plate),
                           "Style": write_sequence(tmp_path / "style", sheet)}, tmp_path / "ofx",
                           "--frames", "2", "--param", f"styleSheetLayout={styled / 'sheet.json'}",
                           "--param", f"backendAddress={server.address}")  # fmt: skip
    finally:
        server.kill()
    assert run.returncode == 1
    persistent = [e["text"] for e in run.of("persistent_message")]
    expected = "the styled sheet is 100x60, the layout expects 192x108 (2x2 cells of 96x54)"
    assert persistent and expected in persistent[-1] and len(persistent[-1].splitlines()) == 1
