# SPDX-License-Identifier: Apache-2.0
"""The synthfx Keyframe node in our spec test host against a real ``synthfx serve``: at a
marked frame its output equals ``synthfx keyframe``'s bit for bit (float, alpha kept; with a
Mask too); an unmarked frame, no marks at all and a missing Reference fail with the artist's
message, and no frame is written."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from ofx_testing import KEYFRAME, read_output, run_host, write_sequence

from synthfx.cli import main
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.pipeline import painterly

FRAMES = 4
SIZE = (96, 54)
MARKED = 2
# The node's parameters of the CLI job below (device choice 1: cpu; patchSize 5 is faster).
NODE_PARAMS = ("patchSize=5", "device=1")
CLI_ARGS = ("--patch-size", "5", "--device", "cpu")


@pytest.fixture(scope="module")
def pictures(bbb_video: Path) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Plate frames 0-3 (96x54 RGBA, alpha a soft matte) and a painting of another frame."""
    with VideoReader(bbb_video) as reader:
        frames = dict(reader.frames(FrameRange(40, 90)))
    alpha = np.broadcast_to(np.linspace(0.2, 1.0, SIZE[0], dtype=np.float32), SIZE[::-1])
    plate = {
        f: np.dstack([cv2.resize(frames[40 + f], SIZE, interpolation=cv2.INTER_AREA), alpha])
        for f in range(FRAMES)
    }
    painting = painterly(cv2.resize(frames[90], (80, 60), interpolation=cv2.INTER_AREA))
    return {f: p.astype(np.float32) for f, p in plate.items()}, painting.astype(np.float32)


def _cli(plate: np.ndarray, painting: np.ndarray, directory: Path, *extra: str) -> np.ndarray:
    """``synthfx keyframe`` from float EXRs of the same pixels the node gets."""
    directory.mkdir(parents=True, exist_ok=True)
    write_image(directory / "plate.exr", plate, dtype="float")
    write_image(directory / "painting.exr", painting, dtype="float")
    args = ["keyframe", "--frame", str(directory / "plate.exr"),
            "--reference", str(directory / "painting.exr"), "--out", str(directory / "key.exr"),
            "--dtype", "float", "--quiet", *CLI_ARGS, *extra]  # fmt: skip
    assert main(args) == 0
    return read_image(directory / "key.exr").pixels


def keyframe_node(bundle: Path, clips: dict[str, str], out: Path, backend, *args: str):
    out.mkdir(parents=True, exist_ok=True)
    command = ["--plugin", KEYFRAME, "--range", f"0-{FRAMES - 1}", "--out",
               str(out / "o.%04d.npy"), "--param", f"backendAddress={backend.address}"]  # fmt: skip
    for name, pattern in clips.items():
        command += ["--clip", f"{name}={pattern}"]
    for param in NODE_PARAMS:
        command += ["--param", param]
    return run_host(bundle, *command, *args)


def _clips(tmp_path: Path, plate: dict, painting: np.ndarray) -> dict[str, str]:
    np.save(tmp_path / "painting.npy", painting)
    return {"Source": write_sequence(tmp_path / "source", plate),
            "Reference": str(tmp_path / "painting.npy")}  # fmt: skip


def test_smoke(bundle: Path) -> None:
    run = run_host(bundle, "--plugin", KEYFRAME, "--describe")
    assert run.returncode == 0, run.events
    effect = run.of("effect")[0]
    assert effect["temporal"] == 0 and effect["tiles"] == 0
    assert {c["name"]: c["optional"] for c in run.of("clip")} == {
        "Source": 0, "Reference": 0, "Mask": 1, "Output": 0}  # fmt: skip
    params = {p["name"]: p for p in run.of("param")}
    assert params["styleKey"]["OfxParamPropAnimates"] == [1]
    assert params["method"]["OfxParamPropChoiceOption"] == ["patch", "gatys"]
    pages = {n: p["OfxParamPropPageChild"] for n, p in params.items()
             if p["type"] == "OfxParamTypePage"}  # fmt: skip
    assert pages["keysPage"] == ["styleKey", "addStyleKey", "removeStyleKey", "styleKeyList"]
    assert set(pages) == {"keysPage", "keyframePage", "patchPage", "gatysPage", "enginePage",
                          "backendPage"}  # fmt: skip


def test_marked_frame_equals_cli(bundle, pictures, backend, tmp_path) -> None:
    plate, painting = pictures
    cli = _cli(plate[MARKED], painting, tmp_path / "cli")
    run = keyframe_node(bundle, _clips(tmp_path, plate, painting), tmp_path / "ofx", backend,
                        "--frames", str(MARKED), "--keys", f"styleKey=0,{MARKED}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert not run.of("fetch_outside_declared") and not run.of("leaked_images")
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), MARKED)
    assert got.shape == cli.shape == (SIZE[1], SIZE[0], 4)
    assert np.array_equal(got, cli), "the node's keyframe differs from synthfx keyframe's"
    assert np.array_equal(got[..., 3], plate[MARKED][..., 3])  # the plate's alpha kept
    assert run.of("render")[0]["progress_updates"] > 0


def test_mask_equals_cli(bundle, pictures, backend, tmp_path) -> None:
    plate, painting = pictures
    left = np.zeros((SIZE[1], SIZE[0], 1), np.float32)
    left[:, : SIZE[0] // 2] = 1.0
    write_image(tmp_path / "mask.exr", left, dtype="float")
    cli = _cli(plate[MARKED], painting, tmp_path / "cli", "--mask", str(tmp_path / "mask.exr"))
    clips = {**_clips(tmp_path, plate, painting),
             "Mask": write_sequence(tmp_path / "mask", dict.fromkeys(plate, left))}  # fmt: skip
    run = keyframe_node(bundle, clips, tmp_path / "ofx", backend, "--frames", str(MARKED),
                        "--keys", f"styleKey={MARKED}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), MARKED)
    assert np.array_equal(got, cli)
    assert np.array_equal(got[:, SIZE[0] // 2 :], plate[MARKED][:, SIZE[0] // 2 :])


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (("--keys", "styleKey=0,2"), "frame 3 is not marked for a keyframe (marked: 0, 2)"),
        ((), "no frame is marked for a keyframe, so none is made: press Add Key Here"),
    ],
)
def test_exception_unmarked_frame(bundle, pictures, backend, tmp_path, keys, expected) -> None:
    plate, painting = pictures
    run = keyframe_node(bundle, _clips(tmp_path, plate, painting), tmp_path / "ofx", backend,
                        "--frames", "3", *keys)  # fmt: skip
    assert run.returncode == 1 and run.renders() == {3: 1}  # kOfxStatFailed
    persistent = [e["text"] for e in run.of("persistent_message")]
    assert persistent and expected in persistent[-1] and len(persistent[-1].splitlines()) == 1
    assert not any((tmp_path / "ofx").iterdir())


def test_exception_missing_reference(bundle, pictures, backend, tmp_path) -> None:
    plate, _ = pictures
    clips = {"Source": write_sequence(tmp_path / "source", plate)}
    run = keyframe_node(bundle, clips, tmp_path / "ofx", backend, "--frames", str(MARKED),
                        "--keys", f"styleKey={MARKED}")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {MARKED: 1}
    assert "nothing is connected to Reference: connect the painting" in run.messages()
    assert not any((tmp_path / "ofx").iterdir())


def test_exception_mask_of_another_size(bundle, pictures, backend, tmp_path) -> None:
    """The backend's one line reaches the artist."""
    plate, painting = pictures
    small = np.ones((27, 48, 1), np.float32)
    clips = {**_clips(tmp_path, plate, painting),
             "Mask": write_sequence(tmp_path / "mask", dict.fromkeys(plate, small))}  # fmt: skip
    run = keyframe_node(bundle, clips, tmp_path / "ofx", backend, "--frames", str(MARKED),
                        "--keys", f"styleKey={MARKED}")  # fmt: skip
    assert run.returncode == 1
    assert "the mask is 48x27, the plate is 96x54" in run.messages()
