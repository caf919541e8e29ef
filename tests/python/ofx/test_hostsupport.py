# SPDX-License-Identifier: Apache-2.0
"""The plugin in a host written on the OpenFX standard's own host library, HostSupport
(tests/ofx/hostsupport): loaded through its plug-in cache, described in every context, every node
rendered against a real ``synthfx serve`` and compared with the CLI. Anything HostSupport
answers the plugin with an error (a property it does not define, a mistyped one, an unexpected
status), and any line it prints, fails the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ofx_testing import (
    BUILD,
    DEFLICKER,
    DEFLICKER_FRAMES,
    DEFLICKER_PARAMS,
    FAST_PARAMS,
    FRAMES,
    KEY_SHEET,
    KEYFRAME,
    KEYFRAME_FRAMES,
    KEYFRAME_PARAMS,
    KEYS,
    OFFICIAL_HEADERS,
    SHEET_FRAMES,
    SHEET_SIZE,
    STYLIZE,
    cli_deflicker,
    cli_keyframe,
    cli_pack,
    cli_reference,
    deflicker_shot,
    install_bundle,
    keyframe_clips,
    keyframe_pictures,
    read_output,
    sheet_plate,
    start_backend,
    write_keys,
    write_sequence,
)
from service_testing import paint, synthetic_shot

from synthfx.io import read_image, write_image

HOSTSUPPORT = OFFICIAL_HEADERS.parent / "HostSupport"
HS_HOST = BUILD / "tests" / "ofx" / "synthfx_hostsupport_host"
IMAGE_SYNTH = "org.synthfx.ImageSynth"
GENERAL, FILTER = "OfxImageEffectContextGeneral", "OfxImageEffectContextFilter"


def _time_probe(report: dict) -> bool:
    """The plugin asking an image for its OfxPropTime: hosts that add it let the plugin catch a
    frame given for another time; the spec's image lacks it, so HostSupport answers unknown."""
    return (report.get("function") == "propGetDouble"
            and report.get("args", "").startswith(" [image ")
            and '"OfxPropTime"' in report["args"]
            and report.get("status") == "kOfxStatErrUnknown")  # fmt: skip


@dataclass
class HostSupportRun:
    returncode: int
    events: list[dict]
    stray: list[str]  # lines that are not the host's JSON: HostSupport's own complaints

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    def renders(self) -> dict[int, int]:
        return {e["frame"]: e["status"] for e in self.of("render")}

    def messages(self) -> str:
        return "\n".join(e["text"] for e in self.of("persistent_message") + self.of("message"))

    def problems(self) -> list[str]:
        """What HostSupport reported: error statuses it gave the plugin, actions with a status
        the spec does not allow, host errors, leaked images, and anything it printed."""
        found = [json.dumps(e) for e in self.of("report") + self.of("host_error")
                 if not _time_probe(e)]  # fmt: skip
        # Messages not from an instance: HostSupport's word on an exception it caught.
        found += [json.dumps(e) for e in self.of("host_message")]
        found += [f"frame {e['frame']} leaked images" for e in self.of("render")
                  if e["leaked_images"]]  # fmt: skip
        return found + [f"printed: {line}" for line in self.stray]


@pytest.fixture(scope="session")
def hs_host() -> Path:
    if not (HOSTSUPPORT / "src" / "ofxhHost.cpp").is_file():
        pytest.skip(f"no OpenFX HostSupport at {HOSTSUPPORT} (CI has ../shared beside the clone)")
    if not HS_HOST.is_file():
        pytest.fail(f"HostSupport test host missing under {BUILD}: run `make cpp-test` first")
    return HS_HOST


def run_hs(host: Path, bundle: Path, *args: str, timeout: float = 300) -> HostSupportRun:
    """Runs the HostSupport host with only ``bundle`` on its plug-in path."""
    done = subprocess.run(
        [str(host), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "OFX_PLUGIN_PATH": str(bundle.parent)},
    )
    lines = done.stdout.splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    stray = [line for line in lines if line.strip() and not line.startswith("{")]
    stray += [line for line in done.stderr.splitlines() if line.strip()]
    return HostSupportRun(done.returncode, events, stray)


def stylize_args(clips: dict[str, str], out: Path, *extra: str) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    args = ["--plugin", STYLIZE, "--context", "General", "--range", f"0-{FRAMES - 1}",
            "--keys", f"styleKey={','.join(map(str, KEYS))}", "--out", str(out / "o.%04d.npy"),
            "--clip", f"Source={clips['Source']}", "--clip", f"Style={clips['Style']}"]  # fmt: skip
    for param in FAST_PARAMS:
        args += ["--param", param]
    return args + list(extra)


def test_smoke(hs_host, bundle, tmp_path) -> None:
    """The plug-in cache finds every node in the bundle; each describes in every context it
    declares, the second run from the cache file HostSupport wrote."""
    cache = tmp_path / "cache.xml"
    first = run_hs(hs_host, bundle, "--describe", "--cache", str(cache))
    assert first.returncode == 0 and not first.problems(), first.problems()
    again = run_hs(hs_host, bundle, "--describe", "--cache", str(cache))
    assert again.returncode == 0 and not again.problems(), again.problems()
    assert "synthfx.ofx.bundle" in cache.read_text()
    # The plugin's calls go through the checks, and a bad call is reported.
    assert first.of("done")[0]["checked_calls"] > 100
    checked = run_hs(hs_host, bundle, "--self-check")
    assert [(e["function"], e["status"]) for e in checked.of("report")] == [
        ("propGetInt", "kOfxStatErrUnknown")]  # fmt: skip
    assert "SynthfxNoSuchProperty" in checked.of("report")[0]["args"]
    assert [p["cache_dirty"] for p in again.of("plugin")] == [0] * 5, "the cache was not used"
    for run in (first, again):
        plugins = {p["id"]: p for p in run.of("plugin")}
        assert set(plugins) == {STYLIZE, IMAGE_SYNTH, DEFLICKER, KEY_SHEET, KEYFRAME}
        for plugin in plugins.values():
            assert Path(plugin["binary"]).is_relative_to(bundle)
        assert set(plugins[STYLIZE]["contexts"]) == {GENERAL, FILTER}
        assert plugins[IMAGE_SYNTH]["contexts"] == [GENERAL]
        described = {(c["plugin"], c["context"]): c for c in run.of("context")}
        assert set(described) == {(p, c) for p in plugins for c in plugins[p]["contexts"]}
        general = described[(STYLIZE, GENERAL)]
        assert general["clips"] == ["Source", "Style", "Mask", "Output"]
        assert general["optional"] == ["Mask"]
        assert described[(STYLIZE, FILTER)]["clips"] == ["Source", "Output"]
        assert "styleFile:OfxParamTypeString" in described[(STYLIZE, FILTER)]["params"]
        assert described[(IMAGE_SYNTH, GENERAL)]["clips"][:3] == [
            "Style", "GuideSource1", "GuideTarget1"]  # fmt: skip
        assert plugins[DEFLICKER]["contexts"] == [GENERAL]
        assert described[(DEFLICKER, GENERAL)]["clips"] == ["Source", "Guide", "Mask", "Output"]
        assert described[(DEFLICKER, GENERAL)]["optional"] == ["Mask"]
        assert set(plugins[KEY_SHEET]["contexts"]) == {GENERAL, FILTER}
        assert described[(KEY_SHEET, GENERAL)]["clips"] == ["Source", "Matte", "Output"]
        assert described[(KEY_SHEET, GENERAL)]["optional"] == ["Matte"]
        assert described[(KEY_SHEET, FILTER)]["clips"] == ["Source", "Output"]
        assert plugins[KEYFRAME]["contexts"] == [GENERAL]
        assert described[(KEYFRAME, GENERAL)]["clips"] == ["Source", "Reference", "Mask", "Output"]
        assert described[(KEYFRAME, GENERAL)]["optional"] == ["Mask"]


@pytest.fixture(scope="module")
def cli_stylized(tmp_path_factory: pytest.TempPathFactory, shot, keys) -> Path:
    """The folder of ``synthfx stylize``'s frames o.####.exr of the job stylize_args renders."""
    root = tmp_path_factory.mktemp("hs-cli")
    return cli_reference(shot, write_keys(keys, root / "keys"), root)


def test_stylize_render_equals_cli(hs_host, bundle, clips, cli_stylized, backend, tmp_path) -> None:
    """Stylize renders frames out of order through HostSupport, bit for bit the CLI's (float)."""
    order = (5, 0, 9, 8, 2)
    run = run_hs(hs_host, bundle, *stylize_args(
        clips, tmp_path / "ofx", "--frames", ",".join(map(str, order)),
        "--param", f"backendAddress={backend.address}"))  # fmt: skip
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == dict.fromkeys(order, 0), run.messages()
    assert {c["name"]: c["depth"] for c in run.of("clip")} == {
        "Source": "OfxBitDepthFloat", "Style": "OfxBitDepthFloat", "Mask": "OfxBitDepthNone",
        "Output": "OfxBitDepthFloat"}  # fmt: skip
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(5, "Source")] == [0, 8] and needed[(5, "Style")] == [0, 0, 8, 8]
    assert needed[(9, "Source")] == [8, 9]
    for frame in order:
        expected = read_image(cli_stylized / f"o.{frame:04d}.exr").pixels
        got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), frame)
        assert got.shape == (*expected.shape[:2], 4)
        assert np.array_equal(got[..., : expected.shape[2]], expected), f"frame {frame} differs"
    fetched = {(e["clip"], e["time"]) for e in run.of("fetch")}
    assert ("Style", 4.0) not in fetched, "a frame that is no key was fetched from Style"


def test_installed_bundle_found_on_plugin_path(
    hs_host, bundle, clips, cli_stylized, backend, tmp_path
) -> None:
    """The bundle installers/linux/install.sh puts in a plug-ins folder: HostSupport's
    discovery finds it there from OFX_PLUGIN_PATH (the folder, no binary path given), loads
    it and renders a Stylize frame equal to the CLI's."""
    done = install_bundle(bundle, tmp_path)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "plugins" / "synthfx.ofx.bundle"
    run = run_hs(hs_host, installed, *stylize_args(
        clips, tmp_path / "ofx", "--frames", "3",
        "--param", f"backendAddress={backend.address}"))  # fmt: skip
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == {3: 0}, run.messages()
    binaries = {Path(p["binary"]) for p in run.of("plugin")}
    assert binaries == {installed / "Contents" / "Linux-x86-64" / "synthfx.ofx"}
    expected = read_image(cli_stylized / "o.0003.exr").pixels
    got = read_output(str(tmp_path / "ofx" / "o.%04d.npy"), 3)
    assert np.array_equal(got[..., : expected.shape[2]], expected)


@pytest.fixture(scope="module")
def painted(tmp_path_factory: pytest.TempPathFactory, keys) -> Path:
    root = tmp_path_factory.mktemp("hs-painted")
    for k, pixels in keys.items():
        write_image(root / "paint" / f"style.{k:04d}.exr", pixels, dtype="float")
    return root


def test_stylize_filter_context_equals_cli(hs_host, bundle, clips, shot, painted, tmp_path):
    """The Filter context (one input; keys from files the backend reads) equals the CLI."""
    paint_files = {k: painted / "paint" / f"style.{k:04d}.exr" for k in KEYS}
    cli_reference(shot, paint_files, tmp_path)
    server = start_backend(tmp_path / "backend", "127.0.0.1:0", "--read-root", str(painted))
    try:
        out = tmp_path / "ofx"
        out.mkdir()
        args = ["--plugin", STYLIZE, "--context", "Filter", "--range", f"0-{FRAMES - 1}",
                "--frames", "9,3", "--out", str(out / "o.%04d.npy"),
                "--clip", f"Source={clips['Source']}",
                "--param", f"styleFile={painted / 'paint' / 'style.####.exr'}",
                "--param", f"backendAddress={server.address}"]  # fmt: skip
        for param in FAST_PARAMS:
            args += ["--param", param]
        run = run_hs(hs_host, bundle, *args)
    finally:
        server.kill()
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == {9: 0, 3: 0}, run.messages()
    for frame in (9, 3):
        expected = read_image(tmp_path / "cli" / f"o.{frame:04d}.exr").pixels
        got = read_output(str(out / "o.%04d.npy"), frame)
        assert np.array_equal(got[..., : expected.shape[2]], expected), f"frame {frame} differs"


def test_image_synth_equals_cli(hs_host, bundle, backend, tmp_path) -> None:
    """ImageSynth through HostSupport equals ``synthfx imagesynth`` on the same images, bit for
    bit (float)."""
    shot = synthetic_shot(2, seed=7)
    style = paint(shot[0])
    root = tmp_path / "in"
    npy = {"Style": write_sequence(root / "style", {0: style}),
           "GuideSource1": write_sequence(root / "gs", {0: shot[0]}),
           "GuideTarget1": write_sequence(root / "gt", {0: shot[1]})}  # fmt: skip
    exr = {name: root / f"{name}.exr" for name in npy}
    for name, pixels in (("Style", style), ("GuideSource1", shot[0]), ("GuideTarget1", shot[1])):
        write_image(exr[name], pixels, dtype="float")
    subprocess.run(
        [sys.executable, "-m", "synthfx.cli", "imagesynth", "--style", str(exr["Style"]),
         "--guide", str(exr["GuideSource1"]), str(exr["GuideTarget1"]), "--weight", "2",
         "--out", str(tmp_path / "cli.exr"), "--dtype", "float", "--search-vote-iters", "2",
         "--patchmatch-iters", "2", "--device", "cpu"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (tmp_path / "out").mkdir()
    args = ["--plugin", IMAGE_SYNTH, "--context", "General", "--range", "0-0", "--frames", "0",
            "--out", str(tmp_path / "out" / "o.%04d.npy"), "--param", "guideWeight1=2",
            "--param", "searchVoteIters=2", "--param", "patchmatchIters=2", "--param", "device=1",
            "--param", f"backendAddress={backend.address}"]  # fmt: skip
    for name, pattern in npy.items():
        args += ["--clip", f"{name}={pattern}"]
    run = run_hs(hs_host, bundle, *args)
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == {0: 0}, run.messages()
    expected = read_image(tmp_path / "cli.exr").pixels
    got = read_output(str(tmp_path / "out" / "o.%04d.npy"), 0)
    assert np.array_equal(got[..., : expected.shape[2]], expected)


def test_deflicker_equals_cli(hs_host, bundle, bbb_video, backend, tmp_path) -> None:
    """Deflicker through HostSupport, frames out of order, equals ``synthfx deflicker`` bit for
    bit (float, HDR, alpha), reading only the window's frames."""
    plate, render = deflicker_shot(bbb_video)
    cli = cli_deflicker(plate, render, tmp_path)
    out = tmp_path / "ofx"
    out.mkdir()
    args = ["--plugin", DEFLICKER, "--context", "General", "--range",
            f"0-{DEFLICKER_FRAMES - 1}", "--frames", "3,0", "--out", str(out / "o.%04d.npy"),
            "--clip", f"Source={write_sequence(tmp_path / 'source', render)}",
            "--clip", f"Guide={write_sequence(tmp_path / 'guide', plate)}",
            "--param", f"backendAddress={backend.address}"]  # fmt: skip
    for param in DEFLICKER_PARAMS:
        args += ["--param", param]
    run = run_hs(hs_host, bundle, *args)
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == {3: 0, 0: 0}, run.messages()
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(3, "Source")] == [1, 4] and needed[(0, "Guide")] == [0, 2]
    fetched = {(e["clip"], e["time"]) for e in run.of("fetch")}
    assert ("Source", 3.0) in fetched and ("Guide", 1.0) in fetched
    for frame in (3, 0):
        expected = read_image(cli / f"d.{frame:04d}.exr").pixels
        got = read_output(str(out / "o.%04d.npy"), frame)
        assert np.array_equal(got, expected), f"frame {frame} differs"


def test_key_sheet_equals_cli(hs_host, bundle, bbb_video, backend, tmp_path) -> None:
    """Key Sheet through HostSupport: the sheet (its region of definition, not the Source's)
    equals ``synthfx sheet pack``'s bit for bit, and Layout File its layout."""
    plate = sheet_plate(bbb_video)
    expected = cli_pack(plate, tmp_path, "--grid", "2")
    out, layout = tmp_path / "ofx", tmp_path / "sheet.json"
    out.mkdir()
    args = ["--plugin", KEY_SHEET, "--context", "General", "--range", f"0-{SHEET_FRAMES - 1}",
            "--frames", "4", "--out", str(out / "o.%04d.npy"),
            "--clip", f"Source={write_sequence(tmp_path / 'source', plate)}",
            "--param", "grid=2", "--param", f"layoutFile={layout}",
            "--param", f"backendAddress={backend.address}"]  # fmt: skip
    run = run_hs(hs_host, bundle, *args)
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == {4: 0}, run.messages()
    needed = {(e["frame"], e["clip"]): e["ranges"] for e in run.of("frames_needed")}
    assert needed[(4, "Source")] == [0, 0, 3, 3, 5, 5, 8, 8]
    got = read_output(str(out / "o.%04d.npy"), 4)
    assert got.shape[:2] == (2 * SHEET_SIZE[1], 2 * SHEET_SIZE[0])
    assert np.array_equal(got[..., :3], read_image(expected).pixels)
    assert layout.read_text() == expected.with_suffix(".json").read_text()


def test_keyframe_equals_cli(hs_host, bundle, bbb_video, backend, tmp_path) -> None:
    """Keyframe through HostSupport at a marked frame, its Reference a painting of another
    size, equals ``synthfx keyframe`` bit for bit (float, alpha kept)."""
    plate, painting = keyframe_pictures(bbb_video)
    expected = cli_keyframe(plate[2], painting, tmp_path / "cli")
    out = tmp_path / "ofx"
    out.mkdir()
    args = ["--plugin", KEYFRAME, "--context", "General", "--range",
            f"0-{KEYFRAME_FRAMES - 1}", "--frames", "2", "--keys", "styleKey=0,2",
            "--out", str(out / "o.%04d.npy"),
            "--param", f"backendAddress={backend.address}"]  # fmt: skip
    for name, pattern in keyframe_clips(tmp_path, plate, painting).items():
        args += ["--clip", f"{name}={pattern}"]
    for param in KEYFRAME_PARAMS:
        args += ["--param", param]
    run = run_hs(hs_host, bundle, *args)
    assert not run.problems(), run.problems()
    assert run.returncode == 0 and run.renders() == {2: 0}, run.messages()
    got = read_output(str(out / "o.%04d.npy"), 2)
    assert got.shape == expected.shape and np.array_equal(got, expected)


def test_exception_unreachable_backend(hs_host, bundle, clips, tmp_path) -> None:
    """No backend: the frame fails with kOfxStatFailed and a persistent message naming the
    address, nothing written; HostSupport reports nothing else."""
    run = run_hs(hs_host, bundle, *stylize_args(
        clips, tmp_path, "--frames", "3", "--param", "backendAddress=127.0.0.1:1",
        "--param", "connectTimeout=1"))  # fmt: skip
    assert not run.problems(), run.problems()
    assert run.returncode == 1 and run.renders() == {3: 1}
    assert run.of("persistent_message") and "127.0.0.1:1" in run.messages(), run.messages()
    assert not list(tmp_path.glob("*.npy")), "a failed frame must not be written"
