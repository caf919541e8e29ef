# SPDX-License-Identifier: Apache-2.0
"""The synthfx Deflicker node in our spec test host against a real ``synthfx serve``: frames
rendered out of order equal ``synthfx deflicker`` bit for bit (alpha and HDR kept), frames
needed, fetched and uploaded are the window, and a Guide of another size fails with the
backend's one line."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from ofx_testing import (
    DEFLICKER,
    DEFLICKER_FRAMES,
    DEFLICKER_PARAMS,
    DEFLICKER_SIZE,
    cli_deflicker,
    deflicker_shot,
    read_output,
    run_host,
    start_backend,
    write_sequence,
)

from synthfx.io import read_image


@pytest.fixture(scope="module")
def shot_frames(bbb_video: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    return deflicker_shot(bbb_video)


def deflicker_node(
    bundle: Path, clips: dict[str, str], out: Path, *args: str, params=DEFLICKER_PARAMS
):
    out.mkdir(parents=True, exist_ok=True)
    command = ["--plugin", DEFLICKER, "--range", f"0-{DEFLICKER_FRAMES - 1}",
               "--out", str(out / "o.%04d.npy")]  # fmt: skip
    for name, pattern in clips.items():
        command += ["--clip", f"{name}={pattern}"]
    for param in params:
        command += ["--param", param]
    return run_host(bundle, *command, *args)


def test_render_equals_cli(bundle, shot_frames, backend, tmp_path) -> None:
    plate, render = shot_frames
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
        assert got.shape == expected.shape == (DEFLICKER_SIZE[1], DEFLICKER_SIZE[0], 4)
        assert np.array_equal(got, expected), f"frame {frame} differs from the CLI"
        assert got[..., :3].max() > 1.5 and got[..., 3].min() < 0.3  # HDR and alpha kept
    assert run.of("render")[0]["progress_updates"] > 0


def test_anamorphic_equals_cli(bundle, shot_frames, backend, tmp_path) -> None:
    """Pixel aspect 2: the region of definition is the Source's, canonical (twice its pixel
    width), and the frame is the CLI's."""
    plate, render = shot_frames
    cli = cli_deflicker(plate, render, tmp_path)
    clips = {"Source": write_sequence(tmp_path / "source", render),
             "Guide": write_sequence(tmp_path / "guide", plate)}  # fmt: skip
    run = deflicker_node(bundle, clips, tmp_path / "ofx", "--frames", "2", "--pixel-aspect", "2",
                         "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    width, height = DEFLICKER_SIZE
    assert run.of("region_of_definition")[-1]["canonical"] == [0, 0, 2 * width, height]
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 2)
    assert np.array_equal(got, read_image(cli / "d.0002.exr").pixels)


def test_mask_equals_cli(bundle, shot_frames, backend, tmp_path) -> None:
    """With Mask connected: the CLI's --mask result, and the render kept where the mask is 0."""
    plate, render = shot_frames
    height, width = render[0].shape[:2]
    left = np.zeros((height, width, 1), np.float32)
    left[:, : width // 2] = 1.0
    mask = dict.fromkeys(render, left)
    cli = cli_deflicker(plate, render, tmp_path, mask=mask)
    clips = {"Source": write_sequence(tmp_path / "source", render),
             "Guide": write_sequence(tmp_path / "guide", plate),
             "Mask": write_sequence(tmp_path / "mask", mask)}  # fmt: skip
    run = deflicker_node(bundle, clips, tmp_path / "ofx", "--frames", "2",
                         "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}[
        (2, "Mask")] == [0, 4]  # fmt: skip
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 2)
    assert np.array_equal(got, read_image(cli / "d.0002.exr").pixels)
    assert np.array_equal(got[:, width // 2 :], render[2][:, width // 2 :])
    assert not np.array_equal(got[:, : width // 2], render[2][:, : width // 2])


def test_exception_window_reaches_past_the_shot(bundle, shot_frames, backend, tmp_path) -> None:
    plate, render = shot_frames
    clips = {"Source": write_sequence(tmp_path / "source", render),
             "Guide": write_sequence(tmp_path / "guide", plate)}  # fmt: skip
    wide = ("mode=0", "window=5", "device=1")
    run = deflicker_node(bundle, clips, tmp_path / "ofx", "--frames", "1",
                         "--param", f"backendAddress={backend.address}", params=wide)  # fmt: skip
    assert run.returncode == 1 and run.renders() == {1: 1}
    assert "window 5 reaches past the whole shot (0-4, 5 frames): use at most 4" in (run.messages())


def test_exception_guide_of_another_size(bundle, shot_frames, backend, tmp_path) -> None:
    plate, render = shot_frames
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


def _window(frame: int, window: int = 2) -> list[float]:
    """The frames of ``frame``'s window clipped to the shot 0..DEFLICKER_FRAMES-1."""
    return [
        float(f) for f in range(max(0, frame - window), min(DEFLICKER_FRAMES, frame + window + 1))
    ]


def test_fetches_and_uploads_only_the_window(bundle, shot_frames, tmp_path) -> None:
    """Each render fetches every frame of its window (clipped at the shot's ends) once per clip
    and nothing else; the backend is sent only the frames it does not hold yet; a frame
    rendered again comes from the backend's cache."""
    plate, render = shot_frames
    clips = {"Source": write_sequence(tmp_path / "source", render),
             "Guide": write_sequence(tmp_path / "guide", plate)}  # fmt: skip
    backend = start_backend(tmp_path / "backend")  # its own: nothing uploaded before
    try:
        order = (0, 1, 2, 4)
        run = deflicker_node(bundle, clips, tmp_path / "ofx", "--frames", ",".join(map(str, order)),
                             "--param", f"backendAddress={backend.address}")  # fmt: skip
        assert run.returncode == 0, run.messages()
        assert not run.of("fetch_outside_declared")
        for frame in order:
            fetched = [(e["clip"], e["time"]) for e in run.of("fetch") if e["frame"] == frame]
            for clip in ("Source", "Guide"):
                times = sorted(t for c, t in fetched if c == clip)
                assert times == _window(frame), (frame, clip, times)
            assert {c for c, _ in fetched} == {"Source", "Guide"}  # Mask is not connected
        # Uploads before each Deflicker call (Source and Guide images): all of frame 0's
        # window, then the one frame each next window adds, then none.
        sent, per_call, windows = 0, [], []
        for event in backend.logged("upload", "deflicker"):
            if event["event"] == "upload":
                sent += event["frames"]
            else:
                per_call.append(sent)
                windows.append(event["window"])
                sent = 0
        assert per_call == [6, 2, 2, 0], per_call
        assert windows == ["0-2", "0-3", "0-4", "2-4"]
        assert [e["cache"] for e in backend.logged("deflicker")] == ["miss"] * 4

        again = deflicker_node(bundle, clips, tmp_path / "again", "--frames", "2",
                               "--param", f"backendAddress={backend.address}")  # fmt: skip
        assert again.returncode == 0, again.messages()
        assert backend.logged("deflicker")[-1]["cache"] == "hit"
        assert np.array_equal(read_output(str(tmp_path / "again" / "o.%04d.npy"), 2),
                              read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 2))  # fmt: skip
    finally:
        backend.kill()
