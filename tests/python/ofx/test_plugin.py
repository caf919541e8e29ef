# SPDX-License-Identifier: Apache-2.0
"""The OFX plugin in a real host process (tests/ofx/host) against a real ``synthfx serve``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import numpy as np
import pytest
from ofx_testing import (
    FAKE_PROTOBUF,
    FAST_PARAMS,
    FRAMES,
    HOST,
    KEYS,
    STYLIZE,
    Backend,
    cli_reference,
    read_output,
    run_host,
    start_backend,
    stylize,
    write_keys,
    write_sequence,
)
from service_testing import fast_params, paint, synthetic_shot

from synthfx.client import BackendClient
from synthfx.io import read_image, write_image
from synthfx.service.messages import add_servicer
from synthfx.v1 import synthfx_pb2 as pb

ALLOWED_EXPORTS = {"OfxGetNumberOfPlugins", "OfxGetPlugin", "OfxSetHost"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, shot, keys) -> dict[str, str]:
    root = tmp_path_factory.mktemp("clips")
    mask = {f: _mask(shot[f].shape[:2], f) for f in shot}
    return {
        "Source": write_sequence(root / "source", shot),
        "Style": write_sequence(root / "style", keys),
        "Mask": write_sequence(root / "mask", mask),
    }


def _mask(shape: tuple[int, int], frame: int) -> np.ndarray:
    """A soft disc moving right: (H, W, 1) float32."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    disc = np.hypot(y - shape[0] / 2, x - shape[1] / 3 - frame) < shape[0] / 3
    return disc.astype(np.float32)[..., None]


def expected_render(backend: Backend, shot, keys, frames, mask=None) -> dict[int, np.ndarray]:
    with BackendClient(backend.address) as client:
        job = client.upload_job(shot, keys, mask=mask, params=fast_params())
        return {f: client.render(job, f).image for f in frames}


def test_smoke(bundle: Path) -> None:
    run = run_host(bundle, "--plugin", STYLIZE, "--describe")
    assert run.returncode == 0, run.events
    assert {e["id"] for e in run.of("plugin")} == {
        STYLIZE, "org.synthfx.ImageSynth", "org.synthfx.Deflicker",
        "org.synthfx.KeySheet", "org.synthfx.Keyframe"}  # fmt: skip
    effect = run.of("effect")[0]
    assert effect["sequential"] == 2 and effect["tiles"] == 0
    assert effect["frame_threading"] == 0 and effect["temporal"] == 1
    assert effect["thread_safety"] == "OfxImageEffectRenderInstanceSafe"
    assert {c["name"]: c["optional"] for c in run.of("clip")} == {
        "Source": 0, "Style": 0, "Mask": 1, "Output": 0}  # fmt: skip


def test_params_have_ranges_and_pages(bundle: Path) -> None:
    params = {p["name"]: p for p in run_host(bundle, "--plugin", STYLIZE, "--describe").of("param")}
    numeric_types = ("OfxParamTypeInteger", "OfxParamTypeDouble")
    numeric = [p for p in params.values() if p["type"] in numeric_types]
    assert len(numeric) >= 18
    for p in numeric:
        for prop in ("OfxParamPropMin", "OfxParamPropMax", "OfxParamPropDisplayMin",
                     "OfxParamPropDisplayMax", "OfxParamPropDefault"):  # fmt: skip
            assert prop in p, f"{p['name']} lacks {prop}"
        assert p["OfxParamPropMin"][0] <= p["OfxParamPropDisplayMin"][0]
        assert p["OfxParamPropDisplayMax"][0] <= p["OfxParamPropMax"][0]
        assert p["OfxParamPropHint"][0]
    pages = [p for p in params.values() if p["type"] == "OfxParamTypePage"]
    on_pages = {child for page in pages for child in page["OfxParamPropPageChild"]}
    valued = {n for n, p in params.items() if p["type"] != "OfxParamTypePage"}
    assert valued <= on_pages
    assert params["styleKey"]["OfxParamPropAnimates"] == [1]


def test_filter_context_has_style_file(bundle: Path) -> None:
    run = run_host(bundle, "--plugin", STYLIZE, "--context", "Filter", "--describe")
    assert {c["name"] for c in run.of("clip")} == {"Source", "Output"}
    assert "styleFile" in {p["name"] for p in run.of("param")}


def test_exported_symbols(bundle: Path) -> None:
    contents = bundle / "Contents"
    exported = subprocess.run(
        ["nm", "-D", "--defined-only", str(contents / "Linux-x86-64" / "synthfx.ofx")],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert set(exported[2::3]) == ALLOWED_EXPORTS
    client = subprocess.run(
        ["nm", "-D", "--defined-only", str(contents / "Libraries" / "libsynthfx_client.so")],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert set(client[2::3]) == {"synthfx_create_backend_client"}
    assert (contents / "Info.plist").is_file()
    assert (contents / "Resources" / f"{STYLIZE}.png").is_file()
    libraries = sorted(p.name for p in (contents / "Libraries").iterdir())
    assert libraries and all(name.startswith("libsynthfx_") for name in libraries)


def test_bundle_needs_nothing_outside(bundle: Path) -> None:
    """Every library the client needs resolves inside Contents/Libraries (or is libc/libstdc++)."""
    client = bundle / "Contents" / "Libraries" / "libsynthfx_client.so"
    resolved = subprocess.run(["ldd", str(client)], capture_output=True, text=True, check=True)
    system = ("libc.so", "libm.so", "libstdc++", "libgcc_s", "ld-linux", "linux-vdso")
    for line in resolved.stdout.splitlines():
        name = line.split()[0]
        assert "not found" not in line, line
        assert name.startswith("libsynthfx_") or any(lib in name for lib in system), line


def test_render_equals_cli(bundle, clips, shot, keys, backend, tmp_path) -> None:
    """Frames rendered out of order (plugin -> gRPC -> backend) equal the CLI's, bit for bit."""
    cli_reference(shot, write_keys(keys, tmp_path / "keys"), tmp_path)
    order = (5, 0, 9, 8, 2)
    run = stylize(bundle, clips, tmp_path / "ofx", "--frames", ",".join(map(str, order)),
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    assert not run.of("fetch_outside_declared") and not run.of("leaked_images")
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(5, "Source")] == [0, 8] and needed[(5, "Style")] == [0, 0, 8, 8]
    assert needed[(9, "Source")] == [8, 9]
    for frame in order:
        expected = read_image(tmp_path / "cli" / f"o.{frame:04d}.exr").pixels
        got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), frame)
        assert got.shape == (*expected.shape[:2], 4)
        assert np.array_equal(got[..., : expected.shape[2]], expected), f"frame {frame} differs"
    assert run.of("render")[0]["progress_updates"] > 0


def test_render_scale_half(bundle, clips, shot, keys, backend, tmp_path) -> None:
    run = stylize(bundle, clips, tmp_path, "--frames", "3", "--render-scale", "0.5",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()

    def half(image: np.ndarray) -> np.ndarray:  # the host's 2x2 box filter
        h, w, c = image.shape
        return image.reshape(h // 2, 2, w // 2, 2, c).mean(axis=(1, 3), dtype=np.float32)

    expected = expected_render(backend, {f: half(p) for f, p in shot.items()},
                               {k: half(p) for k, p in keys.items()}, [3])  # fmt: skip
    got = read_output(str(tmp_path / "o.%04d.npy"), 3)
    assert got.shape == (24, 32, 4)
    np.testing.assert_allclose(got, expected[3], atol=1e-6)


@pytest.mark.parametrize(
    ("depth", "quantize"),
    [
        ("Byte", lambda x: np.round(np.clip(x, 0, 1) * 255).astype(np.float32) / 255),
        ("Half", lambda x: x.astype(np.float16).astype(np.float32)),
    ],
)
def test_byte_and_half_inputs(bundle, clips, shot, keys, backend, tmp_path, depth, quantize):
    run = stylize(bundle, clips, tmp_path, "--frames", "4", "--clip-depth", f"Source={depth}",
                  "--clip-depth", f"Style={depth}", "--clip-components", "Source=RGB",
                  "--negative-rowbytes", "1", "--pad", "3", "--origin", "10,20",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    expected = expected_render(backend, {f: quantize(p) for f, p in shot.items()},
                               {k: quantize(p) for k, p in keys.items()}, [4])  # fmt: skip
    got = read_output(str(tmp_path / "o.%04d.npy"), 4)
    np.testing.assert_array_equal(got, expected[4])


def test_anamorphic_with_origin(bundle, clips, shot, keys, backend, tmp_path) -> None:
    """Pixel aspect 2 at an offset origin: the region of definition is the Source's, canonical
    (twice its pixel width), and the frame is the render of the same pixels."""
    run = stylize(bundle, clips, tmp_path, "--frames", "4", "--pixel-aspect", "2",
                  "--origin", "20,10", "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    height, width = shot[0].shape[:2]
    assert run.of("region_of_definition")[-1]["canonical"] == [20, 10, 20 + 2 * width, 10 + height]
    expected = expected_render(backend, shot, keys, [4])
    got = read_output(str(tmp_path / "o.%04d.npy"), 4)
    np.testing.assert_array_equal(got, expected[4])


def test_mask_connected_and_disconnected(bundle, clips, shot, keys, backend, tmp_path) -> None:
    masked = stylize(bundle, clips, tmp_path / "masked", "--frames", "6",
                     "--clip", f"Mask={clips['Mask']}", "--clip-components", "Mask=Alpha",
                     "--param", f"backendAddress={backend.address}")  # fmt: skip
    plain = stylize(bundle, clips, tmp_path / "plain", "--frames", "6",
                    "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert masked.returncode == 0 and plain.returncode == 0, masked.messages() + plain.messages()
    mask = {f: _mask(shot[f].shape[:2], f) for f in shot}
    expected_masked = expected_render(backend, shot, keys, [6], mask=mask)[6]
    expected_plain = expected_render(backend, shot, keys, [6])[6]
    got_masked = read_output(str(tmp_path / "masked" / "o.%04d.npy"), 6)
    got_plain = read_output(str(tmp_path / "plain" / "o.%04d.npy"), 6)
    np.testing.assert_array_equal(got_masked, expected_masked)
    np.testing.assert_array_equal(got_plain, expected_plain)
    assert not np.array_equal(got_masked, got_plain)


def test_keyframe_buttons(bundle: Path) -> None:
    run = run_host(bundle, "--plugin", STYLIZE, "--press", "addStyleKey@3",
                   "--press", "addStyleKey@7", "--press", "removeStyleKey@3")  # fmt: skip
    assert run.returncode == 0
    assert run.of("keys") == [{"event": "keys", "param": "styleKey", "times": [7]}]


def test_exception_no_keyframes(bundle, clips, backend, tmp_path) -> None:
    out = tmp_path / "out"
    run = run_host(bundle, "--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}",
                   "--clip", f"Source={clips['Source']}", "--clip", f"Style={clips['Style']}",
                   "--frames", "2", "--out", str(out / "o.%04d.npy"),
                   "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {2: 1}
    assert "no keyframes" in run.messages()
    assert not out.exists() or not any(out.iterdir())


def test_exception_unreachable_backend_fails_fast_in_background(bundle, clips, tmp_path) -> None:
    unreachable = ("--param", "backendAddress=127.0.0.1:1", "--param", "connectTimeout=1")
    run = stylize(bundle, clips, tmp_path, "--frames", "1,2", "--background", "1", *unreachable)
    assert run.returncode == 1 and run.renders() == {1: 1, 2: 1}
    assert "127.0.0.1:1" in run.messages() and "background render" in run.messages()
    assert run.seconds < 20
    assert not list(tmp_path.glob("*.npy")), "a failed frame must not be written"


class _NextMajorBackend:
    """A backend of the next protocol major: it answers GetInfo only, as the real one does."""

    def GetInfo(self, request: pb.GetInfoRequest, context: grpc.ServicerContext):
        return pb.GetInfoResponse(
            backend_version="99.0.0", protocol_major=pb.PROTOCOL_VERSION_MAJOR + 1, protocol_minor=0
        )

    def __getattr__(self, rpc: str):
        def unknown(request, context: grpc.ServicerContext):
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "protocol majors differ")

        return unknown


def test_exception_backend_of_another_protocol_major(bundle, clips, tmp_path) -> None:
    server = grpc.server(ThreadPoolExecutor(2))
    add_servicer(_NextMajorBackend(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        address = ("--param", f"backendAddress=127.0.0.1:{port}", "--param", "connectTimeout=2")
        run = stylize(bundle, clips, tmp_path, "--frames", "1", "--background", "1", *address)
    finally:
        server.stop(0)
    assert run.returncode == 1 and run.renders() == {1: 1}
    major = pb.PROTOCOL_VERSION_MAJOR
    expected = f"speaks protocol {major + 1}.0, this plugin speaks {major}.x: install matching"
    assert expected in run.messages() and f"127.0.0.1:{port}" in run.messages()
    assert not list(tmp_path.glob("*.npy")), "a failed frame must not be written"


def test_backend_killed_mid_shot_then_restarted(bundle, clips, tmp_path) -> None:
    socket = tmp_path / "backend.sock"
    listen = f"unix:{socket}"
    first = start_backend(tmp_path / "b1", listen)
    out = tmp_path / "out"
    out.mkdir()
    args = [str(HOST), "--bundle", str(bundle), "--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}",
            "--keys", "styleKey=0,8", "--out", str(out / "o.%04d.npy"), "--background", "1",
            "--clip", f"Source={clips['Source']}", "--clip", f"Style={clips['Style']}",
            "--frames", "1,2,3", "--pause-after", "1=3000", "--pause-after", "2=6000",
            "--param", f"backendAddress={listen}", "--param", "connectTimeout=2"]  # fmt: skip
    for param in FAST_PARAMS:
        args += ["--param", param]
    host = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert host.stdout is not None
    lines = []
    restarted = None
    try:
        for line in host.stdout:
            lines.append(line)
            if '"render"' in line and '"frame":1' in line:
                first.kill()  # during the pause after frame 1: frame 2 meets a dead backend
            if '"render"' in line and '"frame":2' in line:
                restarted = start_backend(tmp_path / "b2", listen)
        host.wait(timeout=120)
    finally:
        host.kill()
        if restarted:
            restarted.kill()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    renders = {e["frame"]: e for e in events if e["event"] == "render"}
    assert 1 in renders and renders[1]["status"] == 0, events
    assert renders[2]["status"] != 0 and renders[2]["seconds"] < 10
    assert renders[3]["status"] == 0, "the plugin reconnects to the restarted backend"
    text = "\n".join(e.get("text", "") for e in events)
    assert str(socket) in text
    assert sorted(p.name for p in out.iterdir()) == ["o.0001.npy", "o.0003.npy"]


def test_abort_cancels_render(bundle, clips, backend, tmp_path) -> None:
    start = time.monotonic()
    run = stylize(bundle, clips, tmp_path, "--frames", "4", "--abort-after-ms", "30",
                  "--param", "patchSize=9", "--param", "searchVoteIters=40",
                  "--param", "pyramidLevels=-1", "--param", "seed=77",
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.renders() == {4: 1}, run.messages()
    assert "cancel" in run.messages() or "abort" in run.messages()
    assert time.monotonic() - start < 30


def test_host_with_its_own_protobuf(bundle, clips, backend, tmp_path) -> None:
    """A host that already loaded a (different) libprotobuf.so.32 globally does not crash."""
    run = stylize(bundle, clips, tmp_path, "--frames", "0", "--preload", str(FAKE_PROTOBUF),
                  "--param", f"backendAddress={backend.address}")  # fmt: skip
    assert run.returncode == 0, (run.events, run.messages())


def test_image_synth(bundle, backend, tmp_path) -> None:
    shot = synthetic_shot(2, seed=7)
    style = paint(shot[0])
    root = tmp_path / "in"
    clips = {"Style": write_sequence(root / "style", {0: style}),
             "GuideSource1": write_sequence(root / "gs", {0: shot[0]}),
             "GuideTarget1": write_sequence(root / "gt", {0: shot[1]})}  # fmt: skip
    (tmp_path / "out").mkdir()
    args = ["--plugin", "org.synthfx.ImageSynth", "--range", "0-0", "--frames", "0",
            "--out", str(tmp_path / "out" / "o.%04d.npy"), "--param", "guideWeight1=2",
            "--param", "searchVoteIters=2", "--param", "patchmatchIters=2", "--param", "device=1",
            "--param", f"backendAddress={backend.address}"]  # fmt: skip
    for name, pattern in clips.items():
        args += ["--clip", f"{name}={pattern}"]
    run = run_host(bundle, *args)
    assert run.returncode == 0, run.messages()
    with BackendClient(backend.address) as client:
        engine = pb.EngineParams(patch_size=5, search_vote_iters=2, patchmatch_iters=2)
        expected = client.image_synth(style, [(shot[0], shot[1], 2.0)], engine=engine)[0]
    got = read_output(str(tmp_path / "out" / "o.%04d.npy"), 0)
    np.testing.assert_array_equal(got[..., :3], expected.pixels)


def test_starts_a_local_backend_once(bundle, clips, tmp_path) -> None:
    """No address anywhere: the plugin starts `synthfx serve` on the user's socket and reuses it."""
    import os
    import signal

    runtime = tmp_path / "run"
    runtime.mkdir()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime),
           "SYNTHFX_SERVE_COMMAND": str(Path(sys.executable).parent / "synthfx")}  # fmt: skip
    env.pop("SYNTHFX_BACKEND", None)
    out = tmp_path / "out"
    out.mkdir()
    args = ["--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}", "--keys", "styleKey=0,8",
            "--frames", "3", "--out", str(out / "o.%04d.npy"),
            "--clip", f"Source={clips['Source']}", "--clip", f"Style={clips['Style']}"]  # fmt: skip
    for param in FAST_PARAMS:
        args += ["--param", param]
    pid_file = runtime / "synthfx" / "backend.sock.pid"

    def render() -> None:
        done = subprocess.run([str(HOST), "--bundle", str(bundle), *args], env=env,
                              capture_output=True, text=True, timeout=180)  # fmt: skip
        assert done.returncode == 0, done.stdout

    try:
        render()
        first_pid = pid_file.read_text()
        render()  # a second host process finds the running backend
        assert pid_file.read_text() == first_pid, "a second backend was started"
        assert (out / "o.0003.npy").is_file()
    finally:
        if pid_file.is_file():
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)  # its own session (setsid)


# -- Filter context: keyframes from files ---------------------------------------------------


@pytest.fixture(scope="module")
def painted(tmp_path_factory: pytest.TempPathFactory, keys) -> Path:
    """A read root with the painted keyframes as float EXRs: paint/style.0000.exr, ...0008."""
    root = tmp_path_factory.mktemp("painted")
    for k, pixels in keys.items():
        write_image(root / "paint" / f"style.{k:04d}.exr", pixels, dtype="float")
    return root


@pytest.fixture(scope="module")
def file_backend(tmp_path_factory: pytest.TempPathFactory, painted: Path):
    """A backend that may read below ``painted``."""
    server = start_backend(tmp_path_factory.mktemp("file-backend"), "127.0.0.1:0",
                           "--read-root", str(painted))  # fmt: skip
    yield server
    server.kill()


def filter_stylize(bundle: Path, clips, out: Path, style_file: str, *args: str) -> object:
    out.mkdir(parents=True, exist_ok=True)
    base = ["--plugin", STYLIZE, "--context", "Filter", "--range", f"0-{FRAMES - 1}",
            "--out", str(out / "o.%04d.npy"), "--clip", f"Source={clips['Source']}",
            "--param", f"styleFile={style_file}"]  # fmt: skip
    for param in FAST_PARAMS:
        base += ["--param", param]
    return run_host(bundle, *base, *args)


def test_filter_context_keyframes_from_files_equal_cli(
    bundle, clips, shot, painted, file_backend, tmp_path
) -> None:
    """Keys are the frames whose file exists; the backend reads them; equal to the CLI."""
    paint = {k: painted / "paint" / f"style.{k:04d}.exr" for k in KEYS}
    cli_reference(shot, paint, tmp_path)
    order = (5, 0, 9, 8)
    run = filter_stylize(bundle, clips, tmp_path / "ofx", str(painted / "paint" / "style.####.exr"),
                         "--frames", ",".join(map(str, order)),
                         "--param", f"backendAddress={file_backend.address}")  # fmt: skip
    assert run.returncode == 0, run.messages()
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed == {(5, "Source"): [0, 8], (0, "Source"): [0, 8], (9, "Source"): [8, 9],
                      (8, "Source"): [0, 9]}  # fmt: skip
    for frame in order:
        expected = read_image(tmp_path / "cli" / f"o.{frame:04d}.exr").pixels
        got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), frame)
        assert np.array_equal(got[..., : expected.shape[2]], expected), f"frame {frame} differs"
    # Keys set on Style Key pick the files (printf pattern): the same pixels.
    keyed = filter_stylize(bundle, clips, tmp_path / "keyed",
                           str(painted / "paint" / "style.%04d.exr"), "--frames", "5",
                           "--keys", "styleKey=0,8",
                           "--param", f"backendAddress={file_backend.address}")  # fmt: skip
    assert keyed.returncode == 0, keyed.messages()
    np.testing.assert_array_equal(
        read_output(str(tmp_path / "keyed" / "o.%04d.npy"), 5),
        read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 5),
    )


@pytest.mark.parametrize(
    ("style_file", "keyed", "message"),
    [
        ("{outside}/style.####.exr", "0,8", "outside this backend's read roots"),
        ("{root}/paint/../../style.####.exr", "0,8", "outside this backend's read roots"),
        ("{root}/paint/style.####.exr", "0,4", "style.0004.exr"),
        ("{root}/paint/nothing.####.exr", "", "no file of Style Frames File"),
        ("paint/style.####.exr", "0,8", "must be an absolute path"),
        ("", "0,8", "set Style Frames File"),
    ],
)
def test_exception_filter_context_bad_style_file(
    bundle, clips, painted, file_backend, tmp_path, style_file, keyed, message
) -> None:
    """A file the backend may not read, or lacks, fails the frame with a message saying so."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for k in KEYS:  # real files, but outside the read root
        shutil.copy(painted / "paint" / f"style.{k:04d}.exr", outside)
    path = style_file.format(root=painted, outside=outside)
    keys = ("--keys", f"styleKey={keyed}") if keyed else ()
    run = filter_stylize(bundle, clips, tmp_path / "out", path, "--frames", "2", *keys,
                         "--param", f"backendAddress={file_backend.address}")  # fmt: skip
    assert run.returncode == 1 and run.renders() == {2: 1}
    assert message in run.messages(), run.messages()
    assert run.of("persistent_message"), "the error reaches the node"
    assert all("FramesNeeded" not in e["action"] for e in run.of("action")), "render reports it"
    assert not list((tmp_path / "out").glob("*.npy")), "no black frame written"


def test_filter_context_with_the_started_backend(bundle, clips, painted, tmp_path) -> None:
    """No address: the backend the plugin starts reads the user's files (private socket)."""
    import os
    import signal

    runtime = tmp_path / "run"
    runtime.mkdir()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime),
           "SYNTHFX_SERVE_COMMAND": str(Path(sys.executable).parent / "synthfx")}  # fmt: skip
    env.pop("SYNTHFX_BACKEND", None)
    env.pop("SYNTHFX_READ_ROOTS", None)
    out = tmp_path / "out"
    out.mkdir()
    args = [str(HOST), "--bundle", str(bundle), "--plugin", STYLIZE, "--context", "Filter",
            "--range", f"0-{FRAMES - 1}", "--frames", "9", "--out", str(out / "o.%04d.npy"),
            "--clip", f"Source={clips['Source']}",
            "--param", f"styleFile={painted / 'paint' / 'style.####.exr'}"]  # fmt: skip
    for param in FAST_PARAMS:
        args += ["--param", param]
    pid_file = runtime / "synthfx" / "backend.sock.pid"
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout
        assert (out / "o.0009.npy").is_file()
        assert (runtime / "synthfx").stat().st_mode & 0o077 == 0
    finally:
        if pid_file.is_file():
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)


def test_rerender_ignores_the_backend_cache(bundle, clips, backend, tmp_path) -> None:
    """Re-render: the next render recomputes its segment (a cache miss), same pixels."""
    address = ("--param", f"backendAddress={backend.address}")
    first = stylize(bundle, clips, tmp_path / "a", "--frames", "3,4", *address)
    again = stylize(bundle, clips, tmp_path / "b", "--frames", "3,4", *address)
    pressed = stylize(bundle, clips, tmp_path / "c", "--frames", "3,4", *address,
                      "--press", "rerenderIgnoringCache@3")  # fmt: skip
    assert first.returncode == again.returncode == pressed.returncode == 0
    renders = [e for e in backend.renders() if e["frame"] in (3, 4)][-6:]
    assert [e["cache"] for e in renders[2:]] == ["hit", "hit", "miss", "hit"], renders
    for frame in (3, 4):
        before = read_output(str(tmp_path / "a" / "o.%04d.npy"), frame)
        after = read_output(str(tmp_path / "c" / "o.%04d.npy"), frame)
        np.testing.assert_array_equal(before, after)


# -- transports -----------------------------------------------------------------------------


def test_shared_memory_equals_streaming(bundle, clips, tmp_path) -> None:
    """Same-host payloads go through shared memory, bit for bit what streaming gives."""
    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm")
    outputs = {}
    for mode in ("auto", "never"):
        server = start_backend(tmp_path / f"backend-{mode}")
        try:
            address = ("--param", f"backendAddress={server.address}")
            env = {"SYNTHFX_SHARED_MEMORY": mode}
            image = stylize(bundle, clips, tmp_path / mode, "--frames", "5,9", *address, env=env)
            error = stylize(bundle, clips, tmp_path / f"{mode}-error", "--frames", "5",
                            "--param", "output=1", *address, env=env)  # fmt: skip
            assert image.returncode == error.returncode == 0, image.messages() + error.messages()
            uploads, renders = server.logged("upload"), server.renders()
        finally:
            server.kill()
        shared = mode == "auto"
        assert uploads and all((u["inline_bytes"] == 0) == shared for u in uploads), uploads
        assert sum(u["frames"] for u in uploads) >= FRAMES
        assert [r["output"] for r in renders] == ["shm" if shared else "inline"] * 3
        outputs[mode] = [read_output(str(tmp_path / mode / "o.%04d.npy"), f) for f in (5, 9)]
        outputs[mode].append(read_output(str(tmp_path / f"{mode}-error" / "o.%04d.npy"), 5))
    for shared, streamed in zip(outputs["auto"], outputs["never"], strict=True):
        np.testing.assert_array_equal(shared, streamed)
