# SPDX-License-Identifier: Apache-2.0
"""Helpers of the OFX tests: the built bundle and test host, running the host, real backends,
and the plugin parameters of the small shot every test renders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("SYNTHFX_CPP_BUILD", REPO_ROOT / "build" / "cpp"))
BUNDLE = BUILD / "ofx" / "synthfx.ofx.bundle"
HOST = BUILD / "tests" / "ofx" / "synthfx_ofx_host"
FAKE_PROTOBUF = BUILD / "tests" / "ofx" / "libfake_host_protobuf.so"
# The same bundle built against the official OpenFX headers (make cpp-test builds it when CI's
# ../shared is beside the clone); the test host above loads either.
OFFICIAL_HEADERS = Path(
    os.environ.get(
        "SYNTHFX_OFX_OFFICIAL_HEADERS",
        REPO_ROOT.parent / "shared" / "third_party" / "openfx" / "include",
    )
)
OFFICIAL_BUILD = Path(
    os.environ.get("SYNTHFX_CPP_OFFICIAL_BUILD", REPO_ROOT / "build" / "cpp-official")
)
OFFICIAL_BUNDLE = OFFICIAL_BUILD / "ofx" / "synthfx.ofx.bundle"

sys.path.insert(0, str(REPO_ROOT / "tests" / "python" / "service"))
STARTUP_TIMEOUT_S = 60.0


@dataclass
class HostRun:
    returncode: int
    events: list[dict]
    seconds: float

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    def renders(self) -> dict[int, int]:
        return {e["frame"]: e["status"] for e in self.of("render")}

    def messages(self) -> str:
        return "\n".join(e["text"] for e in self.of("persistent_message") + self.of("message"))


def run_host(
    bundle: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> HostRun:
    """Runs the test host to the end (``env``: extra environment); its JSON lines become events."""
    import time

    start = time.monotonic()
    done = subprocess.run(
        [str(HOST), "--bundle", str(bundle), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return HostRun(done.returncode, events, time.monotonic() - start)


def write_sequence(directory: Path, frames: dict[int, np.ndarray]) -> str:
    """Writes frames as .npy files; returns the printf pattern the host takes."""
    directory.mkdir(parents=True, exist_ok=True)
    for frame, pixels in frames.items():
        np.save(directory / f"f.{frame:04d}.npy", np.ascontiguousarray(pixels, dtype=np.float32))
    return str(directory / "f.%04d.npy")


def read_output(pattern: str, frame: int) -> np.ndarray:
    return np.load(pattern % frame)


@dataclass
class Backend:
    """A running ``synthfx serve``."""

    process: subprocess.Popen
    address: str
    log_path: Path

    def logged(self, *kinds: str) -> list[dict]:
        """The backend's log events of these kinds, in order ("render": frame, cache hit or
        miss, output)."""
        events = [json.loads(line) for line in self.log_path.read_text().splitlines()
                  if line.startswith("{")]  # fmt: skip
        return [e for e in events if e["event"] in kinds]

    def renders(self) -> list[dict]:
        return self.logged("render")

    def kill(self) -> None:
        """kill -9 of the whole process group: the server's worker processes go too."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def start_backend(directory: Path, listen: str = "127.0.0.1:0", *args: str) -> Backend:
    """Starts ``synthfx serve`` (with extra ``args``) and waits until it serves."""
    import time

    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.monotonic_ns()
    ready, log_path = directory / f"ready-{stamp}", directory / f"serve-{stamp}.log"
    command = [sys.executable, "-m", "synthfx.cli", "serve", "--listen", listen,
               "--cache-dir", str(directory / "cache"), "--ready-file", str(ready),
               *args]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"synthfx serve did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return Backend(process, ready.read_text().strip(), log_path)


INSTALL = REPO_ROOT / "installers" / "linux" / "install.sh"


def install_bundle(bundle: Path, root: Path, *extra: str) -> subprocess.CompletedProcess:
    """installers/linux/install.sh of ``bundle`` into ``root/plugins``, the backend command
    this environment's ``synthfx``, a systemd unit written to ``root/systemd`` (not started)."""
    synthfx = Path(sys.executable).parent / "synthfx"
    return subprocess.run(
        [
            "bash", str(INSTALL), "--bundle", str(bundle),
            "--plugins-dir", str(root / "plugins"),
            "--backend-command", str(synthfx),
            "--systemd", "--systemd-dir", str(root / "systemd"), "--no-start", *extra,
        ],
        capture_output=True, text=True,
    )  # fmt: skip


STYLIZE = "org.synthfx.Stylize"
FRAMES = 10
KEYS = (0, 8)
# The plugin's parameters for the service tests' fast job (flow choice 2: dis-ultrafast,
# device choice 1: cpu).
FAST_PARAMS = ("flow=2", "patchSize=5", "pyramidLevels=2", "searchVoteIters=2",
               "patchmatchIters=2", "device=1")  # fmt: skip


def stylize(bundle: Path, clips: dict[str, str], out: Path, *args: str, **kw) -> object:
    out.mkdir(parents=True, exist_ok=True)
    base = ["--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}", "--keys", "styleKey=0,8",
            "--out", str(out / "o.%04d.npy")]  # fmt: skip
    for name in ("Source", "Style"):
        base += ["--clip", f"{name}={clips[name]}"]
    for param in FAST_PARAMS:
        base += ["--param", param]
    return run_host(bundle, *base, *args, **kw)


def cli_reference(shot: dict[int, np.ndarray], keys: dict[int, Path], directory: Path) -> Path:
    """``synthfx stylize`` on the same fast job the plugin tests render: the shot is written as
    float EXRs under ``directory/shot``; returns the folder of its output ``o.####.exr``."""
    from service_testing import FAST_ENGINE, FAST_FLOW

    from synthfx.io import write_image

    for f, pixels in shot.items():
        write_image(directory / "shot" / f"f.{f:04d}.exr", pixels, dtype="float")
    command = [
        sys.executable, "-m", "synthfx.cli", "stylize",
        "--frames", str(directory / "shot" / "f.####.exr"),
        *(a for frame, path in keys.items() for a in ("--key", f"{frame}={path}")),
        "--out", str(directory / "cli" / "o.####.exr"), "--dtype", "float",
        "--flow", FAST_FLOW, "--device", "cpu", "--quiet",
        *(f"--{name.replace('_', '-')}={value}" for name, value in FAST_ENGINE.items()),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    return directory / "cli"


def write_keys(keys: dict[int, np.ndarray], directory: Path) -> dict[int, Path]:
    """The painted keys as float EXRs ``directory/k{frame}.exr``: frame -> path."""
    from synthfx.io import write_image

    paths = {frame: directory / f"k{frame}.exr" for frame in keys}
    for frame, pixels in keys.items():
        write_image(paths[frame], pixels, dtype="float")
    return paths


SHEET_FRAMES = 9
SHEET_SIZE = (96, 54)


def sheet_plate(video: Path) -> dict[int, np.ndarray]:
    """The Key Sheet tests' plate: Big Buck Bunny frames 30-38 as frames 0-8, 96x54 RGB."""
    import cv2

    from synthfx.io import FrameRange, VideoReader

    with VideoReader(video) as reader:
        return {
            frame - 30: cv2.resize(pixels, SHEET_SIZE, interpolation=cv2.INTER_AREA)
            for frame, pixels in reader.frames(FrameRange(30, 30 + SHEET_FRAMES - 1))
        }


def cli_pack(plate: dict, directory: Path, *args: str, matte: dict | None = None) -> Path:
    """``synthfx sheet pack`` of the plate (and matte) as float EXRs; returns the sheet."""
    from synthfx.io import write_image

    for f, pixels in plate.items():
        write_image(directory / "plate" / f"p.{f:04d}.exr", pixels, dtype="float")
        if matte is not None:
            write_image(directory / "matte" / f"m.{f:04d}.exr", matte[f], dtype="float")
    matted = ("--matte", str(directory / "matte" / "m.####.exr")) if matte is not None else ()
    sheet = directory / "cli" / "sheet.exr"
    command = [sys.executable, "-m", "synthfx.cli", "sheet", "pack",
               "--frames", str(directory / "plate" / "p.####.exr"), "--out", str(sheet),
               "--dtype", "float", *matted, *args]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    return sheet


KEYFRAME_FRAMES = 4
KEYFRAME_SIZE = (96, 54)
# The Keyframe node's parameters of the job cli_keyframe runs (device choice 1: cpu; patchSize
# 5 is faster).
KEYFRAME_PARAMS = ("patchSize=5", "device=1")
_KEYFRAME_CLI_ARGS = ("--patch-size", "5", "--device", "cpu")


def keyframe_pictures(video: Path) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """The Keyframe tests' plate frames 0-3 (96x54 RGBA, alpha a soft matte) and a painting
    of another frame (80x60 RGB)."""
    import cv2

    from synthfx.io import FrameRange, VideoReader
    from synthfx.pipeline import painterly

    with VideoReader(video) as reader:
        frames = dict(reader.frames(FrameRange(40, 90)))
    ramp = np.linspace(0.2, 1.0, KEYFRAME_SIZE[0], dtype=np.float32)
    alpha = np.broadcast_to(ramp, KEYFRAME_SIZE[::-1])
    size = KEYFRAME_SIZE
    colour = {
        f: cv2.resize(frames[40 + f], size, interpolation=cv2.INTER_AREA)
        for f in range(KEYFRAME_FRAMES)
    }
    plate = {f: np.dstack([pixels, alpha]) for f, pixels in colour.items()}
    painting = painterly(cv2.resize(frames[90], (80, 60), interpolation=cv2.INTER_AREA))
    return {f: p.astype(np.float32) for f, p in plate.items()}, painting.astype(np.float32)


def keyframe_clips(directory: Path, plate: dict, painting: np.ndarray) -> dict[str, str]:
    """The Keyframe node's Source (the plate's frames) and Reference (one still) as the hosts'
    --clip patterns."""
    np.save(directory / "painting.npy", painting)
    return {"Source": write_sequence(directory / "source", plate),
            "Reference": str(directory / "painting.npy")}  # fmt: skip


def cli_keyframe(plate: np.ndarray, painting: np.ndarray, directory: Path, *extra: str):
    """``synthfx keyframe`` of KEYFRAME_PARAMS' job from float EXRs of the same pixels the node
    gets; returns its (H, W, C) float32 keyframe."""
    from synthfx.cli import main
    from synthfx.io import read_image, write_image

    directory.mkdir(parents=True, exist_ok=True)
    write_image(directory / "plate.exr", plate, dtype="float")
    write_image(directory / "painting.exr", painting, dtype="float")
    args = ["keyframe", "--frame", str(directory / "plate.exr"),
            "--reference", str(directory / "painting.exr"), "--out", str(directory / "key.exr"),
            "--dtype", "float", "--quiet", *_KEYFRAME_CLI_ARGS, *extra]  # fmt: skip
    assert main(args) == 0
    return read_image(directory / "key.exr").pixels


DEFLICKER = "org.synthfx.Deflicker"
KEY_SHEET = "org.synthfx.KeySheet"
KEYFRAME = "org.synthfx.Keyframe"
DEFLICKER_FRAMES = 5
DEFLICKER_SIZE = (96, 54)
# The Deflicker node's parameters of the job cli_deflicker runs (mode choice 0: fast, device
# choice 1: cpu).
DEFLICKER_PARAMS = ("mode=0", "window=2", "device=1")
_DEFLICKER_CLI_ARGS = ("--mode", "fast", "--window", "2", "--device", "cpu")
_HDR_GAIN = 4.0  # the render's colours reach past 1


def deflicker_shot(video: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Big Buck Bunny plate frames 0-4 (96x54 RGB) and their flickering HDR render, RGBA with
    a soft matte (alpha 0.2 to 1): (plate, render)."""
    import cv2

    from synthfx.deflicker.flicker import add_flicker
    from synthfx.io import FrameRange, VideoReader
    from synthfx.pipeline import painterly

    width, height = DEFLICKER_SIZE
    ramp = np.linspace(0.2, 1.0, width, dtype=np.float32)
    alpha = np.broadcast_to(ramp, (height, width))[..., None]
    plate, render = {}, {}
    with VideoReader(video) as reader:
        for frame, pixels in reader.frames(FrameRange(40, 40 + DEFLICKER_FRAMES - 1)):
            number = frame - 40
            plate[number] = cv2.resize(pixels, DEFLICKER_SIZE, interpolation=cv2.INTER_AREA)
            colour = _HDR_GAIN * add_flicker(painterly(plate[number]), seed=number)
            render[number] = np.concatenate([colour, alpha], axis=2).astype(np.float32)
    return plate, render


def cli_deflicker(plate: dict, render: dict, directory: Path, mask: dict | None = None) -> Path:
    """``synthfx deflicker`` on the job of DEFLICKER_PARAMS, from float EXRs written under
    ``directory`` (``mask``: frame -> (H, W, 1) given as --mask); returns the folder of its
    output ``d.####.exr``."""
    from synthfx.io import write_image

    for f in render:
        write_image(directory / "render" / f"r.{f:04d}.exr", render[f], dtype="float")
        write_image(directory / "plate" / f"p.{f:04d}.exr", plate[f], dtype="float")
        if mask is not None:
            write_image(directory / "mask" / f"m.{f:04d}.exr", mask[f], dtype="float")
    masked = ("--mask", str(directory / "mask" / "m.####.exr")) if mask is not None else ()
    command = [
        sys.executable, "-m", "synthfx.cli", "deflicker",
        "--frames", str(directory / "render" / "r.####.exr"),
        "--guide", str(directory / "plate" / "p.####.exr"),
        "--out", str(directory / "cli" / "d.####.exr"), "--dtype", "float", "--quiet",
        *_DEFLICKER_CLI_ARGS, *masked,
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    return directory / "cli"
