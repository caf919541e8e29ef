# SPDX-License-Identifier: Apache-2.0
"""Stylize in our spec host playing MLT 7's openfx module (``--profile mlt``): no frame range on
the Source clip (only the effect's duration), no temporal clip access, the current frame
whatever time is asked, no frames-needed call, a new instance for every frame. Each test here
failed before the plugin handled that host; test_mlt.py renders through MLT itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ofx_testing import (
    FAST_PARAMS,
    FRAMES,
    STYLIZE,
    HostRun,
    cli_reference,
    read_output,
    run_host,
    start_backend,
    stylize,
    write_keys,
    write_sequence,
)

from synthfx.io import read_image, write_image


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, shot, keys) -> Path:
    """A read root with the painted keys (paint/style.####.exr) and the plate (plate/f.####.exr)."""
    root = tmp_path_factory.mktemp("files")
    for k, pixels in keys.items():
        write_image(root / "paint" / f"style.{k:04d}.exr", pixels, dtype="float")
    for f, pixels in shot.items():
        write_image(root / "plate" / f"f.{f:04d}.exr", pixels, dtype="float")
    return root


@pytest.fixture(scope="module")
def file_backend(tmp_path_factory: pytest.TempPathFactory, files: Path):
    server = start_backend(tmp_path_factory.mktemp("backend"), "127.0.0.1:0",
                           "--read-root", str(files))  # fmt: skip
    yield server
    server.kill()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, shot, keys) -> Path:
    """The CLI's output of the fast job (``o.####.exr``)."""
    directory = tmp_path_factory.mktemp("cli")
    return cli_reference(shot, write_keys(keys, directory / "keys"), directory)


def filter_run(bundle: Path, clips, out: Path, files: Path, address: str, *args: str) -> HostRun:
    out.mkdir(parents=True, exist_ok=True)
    base = ["--plugin", STYLIZE, "--context", "Filter", "--range", f"0-{FRAMES - 1}",
            "--out", str(out / "o.%04d.npy"), "--clip", f"Source={clips['Source']}",
            "--param", f"styleFile={files / 'paint' / 'style.####.exr'}",
            "--param", f"backendAddress={address}"]  # fmt: skip
    for param in FAST_PARAMS:
        base += ["--param", param]
    return run_host(bundle, *base, *args)


def assert_equals_cli(cli: Path, out: Path, frames) -> None:
    for frame in frames:
        expected = read_image(cli / f"o.{frame:04d}.exr").pixels
        got = read_output(str(out / "o.%04d.npy"), frame)
        assert np.array_equal(got[..., : expected.shape[2]], expected), f"frame {frame} differs"


def per_frame_messages(run: HostRun) -> dict[int, str]:
    """The messages the plugin gave before each frame's render event, by frame."""
    messages: dict[int, str] = {}
    pending: list[str] = []
    for event in run.events:
        if event["event"] in ("message", "persistent_message"):
            pending.append(event["text"])
        elif event["event"] == "render":
            messages[event["frame"]] = "\n".join(pending)
            pending = []
    return messages


# -- 1. no frame range on the Source clip ---------------------------------------------------


def test_no_clip_frame_range_uses_the_effect_duration(bundle, clips, cli, backend, tmp_path):
    """Only the effect's duration (as MLT): the shot is frames 0..duration-1, equal to the CLI."""
    order = (5, 0, 9)
    run = stylize(bundle, clips, tmp_path, "--frames", ",".join(map(str, order)),
                  "--profile", "no-frame-range",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert "OfxImageEffectPropFrameRange" not in run.messages()
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(9, "Source")] == [8, 9]
    assert_equals_cli(cli, tmp_path, order)


def test_no_frame_range_nor_duration_uses_the_sequence_rendered(
    bundle, clips, keys, backend, tmp_path
) -> None:
    """Nothing but begin-sequence-render's range (0-9): frame 6 after the last key 5 needs the
    frames up to 9, not up to itself."""
    style = write_sequence(tmp_path / "style", {0: keys[0], 5: keys[8]})
    args = ["--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}", "--keys", "styleKey=0,5",
            "--frames", "6", "--out", str(tmp_path / "o.%04d.npy"),
            "--profile", "sequence-range-only", "--param", f"backendAddress={backend.address}",
            "--clip", f"Source={clips['Source']}", "--clip", f"Style={style}",
            *(a for param in FAST_PARAMS for a in ("--param", param))]  # fmt: skip
    run = run_host(bundle, *args)
    assert run.returncode == 0, run.messages()
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(6, "Source")] == [5, 9], needed


def test_filter_keys_from_files_without_clip_frame_range(
    bundle, clips, cli, files, file_backend, tmp_path
) -> None:
    """Keys found from the files that exist over the effect's duration, as with a clip range."""
    run = filter_run(bundle, clips, tmp_path, files, file_backend.address, "--frames", "9,4",
                     "--profile", "no-frame-range")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert_equals_cli(cli, tmp_path, (9, 4))


# -- 2. no temporal clip access ---------------------------------------------------------------


def test_mlt_profile_without_source_file_says_what_to_do(
    bundle, clips, files, file_backend, tmp_path
) -> None:
    """MLT gives only the current frame: no wrong frame, a message naming Source Frames File."""
    run = filter_run(bundle, clips, tmp_path, files, file_backend.address, "--frames", "5,3",
                     "--profile", "mlt")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {5: 1, 3: 1}
    text = per_frame_messages(run)[5]
    assert "org.synthfx.testhost gives an effect only the frame it renders" in text, text
    assert "needs the frames 0-8 of Source. Set Source Frames File" in text, text
    assert run.of("persistent_message")
    assert not list(tmp_path.glob("*.npy")), "no frame may be rendered from copies of frame 5"


def test_mlt_profile_source_file_equals_cli(bundle, clips, cli, files, file_backend, tmp_path):
    """With Source Frames File the backend reads the plate itself: every frame equals the CLI's."""
    order = (5, 0, 9, 8)
    uploads_before = len(file_backend.logged("upload"))
    run = filter_run(bundle, clips, tmp_path, files, file_backend.address,
                     "--frames", ",".join(map(str, order)), "--profile", "mlt",
                     "--param", f"sourceFile={files / 'plate' / 'f.####.exr'}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert not run.of("fetch_outside_declared")
    assert_equals_cli(cli, tmp_path, order)
    uploads = file_backend.logged("upload")[uploads_before:]
    assert sum(u["frames"] for u in uploads) == 0, "the plate is read, not sent"


def test_source_file_must_be_a_sequence(bundle, clips, files, file_backend, tmp_path) -> None:
    run = filter_run(bundle, clips, tmp_path, files, file_backend.address, "--frames", "2",
                     "--profile", "mlt",
                     "--param", f"sourceFile={files / 'plate' / 'f.0002.exr'}")  # fmt: skip
    assert run.returncode == 1
    assert "put #### (or %04d) where the frame number goes" in run.messages(), run.messages()


def test_general_context_without_temporal_access_says_what_to_do(bundle, clips, tmp_path):
    run = stylize(bundle, clips, tmp_path, "--frames", "5", "--profile", "mlt")
    assert run.returncode == 1 and run.renders() == {5: 1}
    assert "needs the frames 0-8 of Source, Style and Mask. Use synthfx Stylize with one input" in (
        run.messages()
    ), run.messages()
    assert not list(tmp_path.glob("*.npy"))


def test_host_giving_the_wrong_time_fails(bundle, clips, backend, tmp_path) -> None:
    """A host that claims temporal access but gives the current frame: caught by the image's
    time, no frame rendered from copies."""
    run = stylize(bundle, clips, tmp_path, "--frames", "5", "--profile", "current-frame-only",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {5: 1}
    assert "asked org.synthfx.testhost for the Source frame 0, it gave frame 5" in run.messages()
    assert not list(tmp_path.glob("*.npy"))


# -- 3. a backend address where nothing listens ----------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:1", "nothing listens there; start the backend with `synthfx serve --listen "
                        "127.0.0.1:1` or correct Backend Address"),
        ("unix:{tmp}/no/backend.sock", "no socket file there; start the backend with `synthfx "
                                       "serve --listen unix:{tmp}/no/backend.sock`"),
    ],
)  # fmt: skip
def test_exception_dead_address_fails_at_once(bundle, clips, files, tmp_path, address, expected):
    """Refused or absent is known at once: 4 frames (new instances, as MLT) fail within a second
    or two instead of the connect timeout each; the frames after the first reuse its failure
    until 3 s have passed; no TLS advice for a socket."""
    address, expected = address.format(tmp=tmp_path), expected.format(tmp=tmp_path)
    run = filter_run(bundle, clips, tmp_path / "out", files, address, "--frames", "1,2,3,4",
                     "--profile", "mlt", "--pause-after", "3=3200",
                     "--param", f"sourceFile={files / 'plate' / 'f.####.exr'}",
                     "--param", "connectTimeout=5")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {1: 1, 2: 1, 3: 1, 4: 1}
    messages = per_frame_messages(run)
    assert all(expected in messages[f] for f in (1, 2, 3, 4)), messages
    assert "TLS" not in run.messages()
    assert "not tried again" not in messages[1]
    assert "not tried again for this frame" in messages[2] and "not tried again" in messages[3]
    assert "not tried again" not in messages[4], "3.2 s later: tried again"
    seconds = [e["seconds"] for e in run.of("render")]
    assert sum(seconds) < 2.5, seconds
    assert not list((tmp_path / "out").glob("*.npy"))


# -- messages say what happened and what to do ------------------------------------------------


def test_exception_source_not_connected(bundle, tmp_path) -> None:
    run = run_host(bundle, "--plugin", STYLIZE, "--range", "0-3", "--frames", "1",
                   "--out", str(tmp_path / "o.%04d.npy"))  # fmt: skip
    assert run.renders() == {1: 1}
    assert "synthfx: nothing is connected to Source: connect the shot to stylize" in run.messages()


def test_exception_host_refusal_is_worded_for_the_artist(bundle, tmp_path) -> None:
    """A host call that fails: what happened and what to do first, the call for a report after."""
    run = run_host(bundle, "--plugin", "org.synthfx.ImageSynth", "--range", "0-0", "--frames",
                   "0", "--out", str(tmp_path / "o.%04d.npy"))  # fmt: skip
    assert run.renders() == {0: 1}
    assert run.messages().startswith(
        "synthfx: org.synthfx.testhost refused what synthfx needs to render (GuideTarget1 region "
        "of definition: kOfxStatFailed 1). Update the host or synthfx, or report this"
    ), run.messages()
