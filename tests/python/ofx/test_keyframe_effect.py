# SPDX-License-Identifier: Apache-2.0
"""The synthfx Keyframe node in our spec test host against a real ``synthfx serve``: at a
marked frame its output equals ``synthfx keyframe``'s bit for bit (float, alpha kept; with a
Mask too); an unmarked frame, no marks at all and a missing Reference fail with the artist's
message, and no frame is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ofx_testing import (
    KEYFRAME,
    KEYFRAME_FRAMES,
    KEYFRAME_PARAMS,
    KEYFRAME_SIZE,
    cli_keyframe,
    keyframe_clips,
    keyframe_pictures,
    read_output,
    run_host,
    write_sequence,
)

from synthfx.io import write_image

FRAMES = KEYFRAME_FRAMES
SIZE = KEYFRAME_SIZE
MARKED = 2


@pytest.fixture(scope="module")
def pictures(bbb_video: Path) -> tuple[dict[int, np.ndarray], np.ndarray]:
    return keyframe_pictures(bbb_video)


def keyframe_node(bundle: Path, clips: dict[str, str], out: Path, backend, *args: str):
    out.mkdir(parents=True, exist_ok=True)
    command = ["--plugin", KEYFRAME, "--range", f"0-{FRAMES - 1}", "--out",
               str(out / "o.%04d.npy"), "--param", f"backendAddress={backend.address}"]  # fmt: skip
    for name, pattern in clips.items():
        command += ["--clip", f"{name}={pattern}"]
    for param in KEYFRAME_PARAMS:
        command += ["--param", param]
    return run_host(bundle, *command, *args)


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
    cli = cli_keyframe(plate[MARKED], painting, tmp_path / "cli")
    clips = keyframe_clips(tmp_path, plate, painting)
    run = keyframe_node(bundle, clips, tmp_path / "ofx", backend, "--frames", str(MARKED),
                        "--keys", f"styleKey=0,{MARKED}")  # fmt: skip
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
    mask = ("--mask", str(tmp_path / "mask.exr"))
    cli = cli_keyframe(plate[MARKED], painting, tmp_path / "cli", *mask)
    clips = {**keyframe_clips(tmp_path, plate, painting),
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
    clips = keyframe_clips(tmp_path, plate, painting)
    run = keyframe_node(bundle, clips, tmp_path / "ofx", backend, "--frames", "3", *keys)
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
    clips = {**keyframe_clips(tmp_path, plate, painting),
             "Mask": write_sequence(tmp_path / "mask", dict.fromkeys(plate, small))}  # fmt: skip
    run = keyframe_node(bundle, clips, tmp_path / "ofx", backend, "--frames", str(MARKED),
                        "--keys", f"styleKey={MARKED}")  # fmt: skip
    assert run.returncode == 1
    assert "the mask is 48x27, the plate is 96x54" in run.messages()
