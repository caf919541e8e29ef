# SPDX-License-Identifier: Apache-2.0
"""Host profiles in our spec host (tests/ofx/host): suites missing, several render threads,
frames out of order, tiles, and the pixel depths a host offers. Each renders the shot of
test_plugin through a real backend and compares with the CLI's output of the same job."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ofx_testing import (
    FRAMES,
    STYLIZE,
    cli_reference,
    read_output,
    run_host,
    start_backend,
    stylize,
    write_keys,
    write_sequence,
)

from synthfx.io import read_image
from synthfx_testing import small_tmpfs


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, shot, keys) -> dict[int, np.ndarray]:
    """``synthfx stylize`` of the shot: frame -> (H, W, C) float32."""
    root = tmp_path_factory.mktemp("cli")
    folder = cli_reference(shot, write_keys(keys, root / "keys"), root)
    return {f: read_image(folder / f"o.{f:04d}.exr").pixels for f in range(FRAMES)}


def assert_equals_cli(out: Path, frames, cli: dict[int, np.ndarray]) -> None:
    for frame in frames:
        got = read_output(str(out / "o.%04d.npy"), frame)
        expected = cli[frame]
        assert got.shape == (*expected.shape[:2], 4)
        channels = expected.shape[2]
        assert np.array_equal(got[..., :channels], expected), (
            f"frame {frame} differs from the CLI's"
        )


@pytest.mark.parametrize(
    "without", [("progress",), ("progress-v2",), ("message-v2",), ("multithread",), ("memory",),
                ("timeline",), ("progress", "message", "multithread", "memory", "timeline")],
)  # fmt: skip
def test_optional_suite_missing(bundle, clips, cli, backend, tmp_path, without) -> None:
    """A host without an optional suite (the parametric one is never offered) gets the CLI's
    frames; without progress, none is reported."""
    args = [a for suite in without for a in ("--without-suite", suite)]
    run = stylize(bundle, clips, tmp_path, "--frames", "5", *args,
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert run.of("suite_withheld"), "the plugin asks for the suites it may use"
    assert_equals_cli(tmp_path, [5], cli)
    if "progress" in without:
        assert run.of("render")[0]["progress_updates"] == 0


@pytest.mark.parametrize(("without", "kind"), [("message-v2", "message"), ("message", None)])
def test_exception_message_suite_missing(bundle, clips, backend, tmp_path, without, kind):
    """No message suite v2: the error comes through v1's message; none at all: the host still
    gets kOfxStatFailed for the frame and nothing is written."""
    out = tmp_path / "out"
    run = run_host(bundle, "--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}",
                   "--clip", f"Source={clips['Source']}", "--clip", f"Style={clips['Style']}",
                   "--frames", "2", "--out", str(out / "o.%04d.npy"), "--without-suite", without,
                   "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {2: 1}
    assert not run.of("persistent_message")
    if kind:
        assert [e["type"] for e in run.of(kind)] == ["OfxMessageError"]
        assert "no keyframes" in run.messages()
    else:
        assert not run.of("message")
    assert not out.exists() or not any(out.iterdir())


def test_render_threads_out_of_order(bundle, clips, cli, backend, tmp_path) -> None:
    """Three render threads, frames asked out of order: the plugin declares instance-safe, so
    the host renders on one instance per thread at once, and every frame is the CLI's."""
    order = (5, 1, 3, 0, 9, 2, 7)
    run = stylize(bundle, clips, tmp_path, "--frames", ",".join(map(str, order)),
                  "--render-threads", "3",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    threading = run.of("threading")[0]
    assert threading["threads"] == 3 and threading["instances"] == 3
    assert threading["overlaps"] == 0
    assert threading["most_at_once"] >= 2, "renders ran one after another"
    assert sorted(run.renders()) == sorted(order) and set(run.renders().values()) == {0}
    assert not run.of("leaked_images") and not run.of("fetch_outside_declared")
    assert_equals_cli(tmp_path, order, cli)


def test_render_threads_on_one_instance(bundle, clips, cli, backend, tmp_path) -> None:
    """A host that ignores instance-safe and calls render from three threads on one instance
    at once still gets the CLI's frames (the plugin's backend client takes one call at a time)."""
    order = (6, 2, 8, 0, 4)
    run = stylize(bundle, clips, tmp_path, "--frames", ",".join(map(str, order)),
                  "--render-threads", "3", "--share-instance", "1",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    threading = run.of("threading")[0]
    assert threading["instances"] == 1 and threading["overlaps"] >= 1, threading
    assert not run.of("leaked_images") and not run.of("fetch_outside_declared")
    assert_equals_cli(tmp_path, order, cli)


def test_tiles_whole_frames_unless_forced(bundle, clips, cli, backend, tmp_path) -> None:
    """The plugin declares no tiles support: the host renders whole frames. A host that tiles
    anyway (render windows of four strips, each in an image of its own bounds) gets each
    window written, and the strips assembled are the CLI's frame."""
    address = ("--param", f"backendAddress={backend.address}")
    whole = stylize(bundle, clips, tmp_path / "whole", "--frames", "4", "--tiles", "4", *address)
    assert whole.returncode == 0, whole.messages()
    assert [e["tiles"] for e in whole.of("render")] == [1]
    tiled = stylize(bundle, clips, tmp_path / "tiled", "--frames", "4,6", "--tiles", "4",
                    "--force-tiles", "1", *address)  # fmt: skip
    assert tiled.returncode == 0, tiled.messages()
    assert [e["tiles"] for e in tiled.of("render")] == [4, 4]
    assert_equals_cli(tmp_path / "whole", [4], cli)
    assert_equals_cli(tmp_path / "tiled", [4, 6], cli)


# Integer depths round half away from zero (std::lround, the plugin's and the host's).
@pytest.mark.parametrize(
    ("depths", "quantize", "tolerance"),
    [
        (
            "Byte",
            lambda x: np.floor(np.clip(x, 0, 1) * 255 + 0.5).astype(np.float32) / 255,
            0.5 / 255,
        ),
        ("Half", lambda x: x.astype(np.float16).astype(np.float32), 0.0),
        ("Half,Byte", lambda x: x.astype(np.float16).astype(np.float32), 0.0),
        (
            "Short",
            lambda x: np.floor(np.clip(x, 0, 1) * 65535 + 0.5).astype(np.float32) / 65535,
            0.5 / 65535,
        ),
    ],
)
def test_host_pixel_depths(bundle, clips, shot, keys, backend, tmp_path, depths, quantize,
                           tolerance) -> None:  # fmt: skip
    """A host offering only 8-bit (or half) gives its clips at that depth; the plugin writes
    Output at the deepest depth offered, within that depth's precision of the render of the
    same pixels."""
    from test_plugin import expected_render

    run = stylize(bundle, clips, tmp_path, "--frames", "4", "--host-depths", depths,
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, (run.messages(), run.of("host_error"))
    expected = expected_render(backend, {f: quantize(p) for f, p in shot.items()},
                               {k: quantize(p) for k, p in keys.items()}, [4])[4]  # fmt: skip
    got = read_output(str(tmp_path / "o.%04d.npy"), 4)
    np.testing.assert_allclose(got, quantize(expected), rtol=0, atol=tolerance + 1e-7)
    assert not np.array_equal(got, expected) or depths != "Byte", "not written at 8 bits"


def test_straight_alpha_style_is_premultiplied(bundle, shot, keys, backend, tmp_path) -> None:
    """A Style clip the host declares straight (kOfxImageUnPreMultiplied) is premultiplied on
    read: the frames are the CLI's for the premultiplied EXRs of the same keys, and Output is
    declared premultiplied. The same pixels declared premultiplied give other frames."""
    height, width = shot[0].shape[:2]
    alpha = np.broadcast_to(np.linspace(0.3, 1.0, width, dtype=np.float32), (height, width))
    straight = {k: np.dstack([p, alpha]).astype(np.float32) for k, p in keys.items()}
    premultiplied = {k: np.dstack([p * alpha[..., None], alpha]).astype(np.float32)
                     for k, p in keys.items()}  # fmt: skip
    folder = cli_reference(shot, write_keys(premultiplied, tmp_path / "keys"), tmp_path)
    cli = {f: read_image(folder / f"o.{f:04d}.exr").pixels for f in (3, 7)}
    clips = {"Source": write_sequence(tmp_path / "source", shot),
             "Style": write_sequence(tmp_path / "style", straight)}  # fmt: skip
    address = ("--param", f"backendAddress={backend.address}")
    run = stylize(bundle, clips, tmp_path / "straight", "--frames", "3,7",
                  "--clip-premult", "Style=UnPremultiplied", *address)  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert run.of("output_preferences")[0]["premultiplication"] == "OfxImageAlphaPremultiplied"
    assert_equals_cli(tmp_path / "straight", (3, 7), cli)
    wrong = stylize(bundle, clips, tmp_path / "as-premultiplied", "--frames", "3", *address)
    assert wrong.returncode == 0, wrong.messages()
    got = read_output(str(tmp_path / "as-premultiplied" / "o.%04d.npy"), 3)
    assert not np.array_equal(got, cli[3]), "the premultiplication flag made no difference"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 KiB tmpfs (a real full filesystem; needs root's mount), unmounted afterwards."""
    with small_tmpfs(tmp_path / "small-disk", "32k") as mount:
        yield mount


def test_exception_backend_out_of_disk_then_freed(
    bundle, clips, cli, small_disk, tmp_path
) -> None:  # fmt: skip
    """The backend's cache on a full disk: the frame fails at once (kOfxStatFailed) with a
    persistent message naming the lack of space and the directory; nothing is written. After
    the disk grows the next render is the CLI's frame."""
    server = start_backend(tmp_path / "backend", "127.0.0.1:0",
                           "--cache-dir", str(small_disk / "cache"))  # fmt: skip
    try:
        address = ("--param", f"backendAddress={server.address}")
        full = stylize(bundle, clips, tmp_path / "full", "--frames", "5", *address)
        assert full.returncode == 1 and full.renders() == {5: 1}, full.messages()
        persistent = "\n".join(e["text"] for e in full.of("persistent_message"))
        assert "out of disk space" in persistent and str(small_disk / "cache") in persistent
        assert "--cache-dir" in persistent
        assert full.seconds < 60
        assert not list((tmp_path / "full").glob("*.npy")), "a failed frame must not be written"
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        freed = stylize(bundle, clips, tmp_path / "freed", "--frames", "5", *address)
        assert freed.returncode == 0, freed.messages()
        assert_equals_cli(tmp_path / "freed", [5], cli)
    finally:
        server.kill()
