# SPDX-License-Identifier: Apache-2.0
"""Deflicker through a real ``synthfx serve`` on Big Buck Bunny: ``synthfx deflicker --backend``
equal to the local run bit for bit, a chunk equal to the full run, and the one-line errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.cli import main
from synthfx.client import BackendClient, Payload, ServiceCancelledError
from synthfx.client.errors import InvalidRequestError, NotFoundError
from synthfx.client.remote import deflicker_message
from synthfx.deflicker import Deflicker, DeflickerOptions, frames_needed
from synthfx.deflicker.flicker import add_flicker
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.pipeline import MemoryFrames, painterly
from synthfx.v1 import synthfx_pb2 as pb

FRAMES = range(1001, 1008)
SIZE = (96, 54)
HDR_GAIN = 4.0  # the render's colours reach past 1


def _alpha(height: int, width: int) -> np.ndarray:
    """A soft matte, so alpha is deflickered and carried, not replaced by 1."""
    ramp = np.linspace(0.2, 1.0, width, dtype=np.float32)
    return np.broadcast_to(ramp, (height, width)).copy()


@pytest.fixture(scope="module")
def shot(bbb_video: Path, tmp_path_factory) -> Path:
    """Plate p.####.exr and its flickering HDR RGBA render r.####.exr (float EXR, 96x54)."""
    root = tmp_path_factory.mktemp("deflicker-service-shot")
    last = 40 + len(FRAMES) - 1
    with VideoReader(bbb_video) as reader:
        for frame, pixels in reader.frames(FrameRange(40, last)):
            plate = cv2.resize(pixels, SIZE, interpolation=cv2.INTER_AREA)
            number = frame - 40 + FRAMES.start
            write_image(root / f"p.{number:04d}.exr", plate, dtype="float")
            colour = HDR_GAIN * add_flicker(painterly(plate), seed=number)
            render = np.dstack([colour, _alpha(*plate.shape[:2])]).astype(np.float32)
            write_image(root / f"r.{number:04d}.exr", render, dtype="float")
    return root


def _args(shot: Path, out: Path, *extra: str) -> list[str]:
    return [
        "deflicker",
        "--frames", str(shot / "r.####.exr"),
        "--guide", str(shot / "p.####.exr"),
        "--out", str(out / "d.####.exr"),
        "--mode", "fast", "--window", "2", "--dtype", "float", "--quiet",
        *extra,
    ]  # fmt: skip


def _read(pattern: str, frames=FRAMES) -> dict[int, np.ndarray]:
    return {f: read_image(pattern.replace("####", f"{f:04d}")).pixels for f in frames}


def _cached_frames(cache_dir: Path) -> list[Path]:
    """The finished frames in the server's deflicker cache (no writes in progress)."""
    return sorted(p for p in (cache_dir / "deflicker").rglob("*.npy") if not p.name.startswith("."))


def _upload(client: BackendClient, frames: dict[int, np.ndarray]) -> list[pb.FrameImage]:
    payloads = {f: Payload.of(a) for f, a in frames.items()}
    client.upload(payloads.values())
    return [pb.FrameImage(frame=f, image=p.ref()) for f, p in sorted(payloads.items())]


def test_cli_backend_equals_local_bit_for_bit(module_server, shot: Path, tmp_path: Path, capsys):
    assert main(_args(shot, tmp_path / "local")) == 0
    assert main(_args(shot, tmp_path / "remote", "--backend", module_server.address)) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["written"] == len(FRAMES) and report["backend"] == module_server.address
    local = _read(str(tmp_path / "local" / "d.####.exr"))
    remote = _read(str(tmp_path / "remote" / "d.####.exr"))
    render = _read(str(shot / "r.####.exr"))
    for frame in FRAMES:
        assert np.array_equal(local[frame], remote[frame]), f"frame {frame} differs"
        assert not np.array_equal(local[frame], render[frame])  # deflickered, not copied
    # HDR kept (no clipping to 1), alpha kept (the matte, deflickered like colour: the same
    # ramp in every frame comes back close to that ramp, never replaced by 1).
    assert local[1004][..., :3].max() > 1.5
    alpha = local[1004][..., 3]
    assert alpha.min() < 0.3 and np.abs(alpha - _alpha(SIZE[1], SIZE[0])).mean() < 0.02


def test_a_chunk_equals_the_full_run(module_server, shot: Path) -> None:
    render = _read(str(shot / "r.####.exr"))
    plate = _read(str(shot / "p.####.exr"))
    options = DeflickerOptions(mode="accurate", window=2)
    local = Deflicker(MemoryFrames(render), MemoryFrames(plate), options=options)
    params = deflicker_message(options)
    shot_range = range(FRAMES.start, FRAMES.stop)
    with BackendClient(module_server.address) as client:
        full = pb.DeflickerJob(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=_upload(client, render),
            guide=_upload(client, plate), params=params,
        )  # fmt: skip
        events: list[pb.Progress] = []
        for frame in (1004, FRAMES.start, FRAMES[-1]):
            needed = frames_needed(frame, shot_range, "accurate", 2)
            chunk = pb.DeflickerJob()
            chunk.CopyFrom(full)
            del chunk.frames[:], chunk.guide[:]
            chunk.frames.extend(f for f in full.frames if f.frame in needed)
            chunk.guide.extend(f for f in full.guide if f.frame in needed)
            whole = client.deflicker(full, frame, want_support=True, progress=events.append)
            part = client.deflicker(chunk, frame, want_support=True)
            expected = local.render(frame)
            assert np.array_equal(whole.image, expected.image), frame
            assert np.array_equal(part.image, expected.image), frame
            assert part.support is not None and np.array_equal(part.support, expected.support)
            assert whole.window == (needed[0], needed[-1]) and whole.remaps == len(needed) - 1
    assert {"remap", "output"} <= {e.stage for e in events}


def test_exception(module_server, shot: Path, tmp_path: Path, capsys) -> None:
    render = _read(str(shot / "r.####.exr"))
    plate = _read(str(shot / "p.####.exr"))
    small = {f: cv2.resize(p, (48, 27), interpolation=cv2.INTER_AREA) for f, p in plate.items()}

    with BackendClient(module_server.address) as client:
        frames, guide = _upload(client, render), _upload(client, plate)

        def job(**fields) -> pb.DeflickerJob:
            values = {"first_frame": FRAMES.start, "last_frame": FRAMES[-1], "frames": frames,
                      "guide": guide, "params": pb.DeflickerParams(mode=pb.DEFLICKER_MODE_FAST,
                                                                  window=2)}  # fmt: skip
            return pb.DeflickerJob(**{**values, **fields})

        def error(kind: type, message: pb.DeflickerJob, frame: int = 1004) -> str:
            with pytest.raises(kind) as failure:
                client.deflicker(message, frame)
            return str(failure.value)

        assert "window must be >= 1, got 0" in error(
            InvalidRequestError, job(params=pb.DeflickerParams(window=0))
        )
        assert "window 7 reaches past the whole shot (1001-1007, 7 frames): use at most 6" in (
            error(InvalidRequestError, job(params=pb.DeflickerParams(window=7)))
        )
        assert "job.frames lacks frame(s) 1006; frame 1004 reads frames 1002-1006" in error(
            InvalidRequestError, job(frames=[f for f in frames if f.frame != 1006])
        )
        assert "guide frame 1004 is 48x27, the render is 96x54" in error(
            InvalidRequestError, job(guide=_upload(client, small))
        )
        assert "frame 1010 is outside the job's frames 1001-1007" in error(
            InvalidRequestError, job(), 1010
        )
        missing = pb.FrameImage(frame=1004, image=Payload.of(small[1004] * 0.5).ref())
        others = [f for f in frames if f.frame != 1004]
        assert "content" in error(NotFoundError, job(frames=[*others, missing]))

    # The CLI on the backend fails with the local run's one line.
    for extra in (("--window", "7"), ("--guide", str(tmp_path / "none.####.exr"))):
        assert main([*_args(shot, tmp_path), *extra, "--backend", module_server.address]) == 2
        remote = capsys.readouterr().err.strip().splitlines()
        assert main([*_args(shot, tmp_path / "local"), *extra]) == 2
        local = capsys.readouterr().err.strip().splitlines()
        assert len(remote) == 1 and len(local) == 1, (remote, local)
        assert local[0].split("error: ", 1)[-1] in remote[0], (remote, local)


def test_cancel_stops_the_remaps(module_server, shot: Path) -> None:
    """Cancel during the first of a frame's remaps ends the call before the others run, and the
    same frame renders afterwards."""
    size = (SIZE[0] * 4, SIZE[1] * 4)  # remaps of a few tenths of a second each

    def frames(pattern: str) -> dict[int, np.ndarray]:
        return {f: cv2.resize(a, size) for f, a in _read(str(shot / pattern)).items()}

    render, plate = frames("r.####.exr"), frames("p.####.exr")
    with BackendClient(module_server.address) as client:
        other = BackendClient(module_server.address)
        other.session_id = client.session_id
        job = pb.DeflickerJob(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=_upload(client, render),
            guide=_upload(client, plate),
            # 5 px patches: remaps long enough for the cancel to land inside the first one.
            params=pb.DeflickerParams(mode=pb.DEFLICKER_MODE_ACCURATE, window=2,
                                      engine=pb.EngineParams(patch_size=5)),
        )  # fmt: skip
        stages: list[str] = []

        def cancel_at_first_remap(event: pb.Progress) -> None:
            stages.append(event.stage)
            if event.stage == "synthesizing" and stages.count("synthesizing") == 1:
                assert other.cancel("deflicker-1") == 1

        stored = _cached_frames(module_server.cache_dir)
        with pytest.raises(ServiceCancelledError, match=r"cancelled during the remap of frame"):
            client.deflicker(job, 1004, progress=cancel_at_first_remap, request_id="deflicker-1")
        assert stages.count("remap") < 4, stages  # not every remap ran
        assert _cached_frames(module_server.cache_dir) == stored  # nothing partial kept
        rerun = client.deflicker(job, 1004)
        assert rerun.remaps == 4 and not rerun.from_cache
        assert len(_cached_frames(module_server.cache_dir)) == len(stored) + 1
        other.close()


def test_a_repeated_request_is_served_from_the_cache(server_factory, shot: Path) -> None:
    """The same frame of the same job comes back from the cache (no remap) bit for bit, after a
    restart too; a changed option or a changed frame of the window is computed afresh."""
    render = _read(str(shot / "r.####.exr"))
    plate = _read(str(shot / "p.####.exr"))
    server = server_factory()
    params = pb.DeflickerParams(mode=pb.DEFLICKER_MODE_FAST, window=2)
    with BackendClient(server.address) as client:
        job = pb.DeflickerJob(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=_upload(client, render),
            guide=_upload(client, plate), params=params,
        )  # fmt: skip
        first = client.deflicker(job, 1004, want_support=True)
        assert not first.from_cache and first.remaps == 4
        again = client.deflicker(job, 1004, want_support=True)
        assert again.from_cache and again.remaps == 0 and again.window == first.window
        assert np.array_equal(again.image, first.image)
        assert again.support is not None and first.support is not None
        assert np.array_equal(again.support, first.support)
        assert (client.info().cache.misses, client.info().cache.hits) == (1, 1)
        assert len(_cached_frames(server.cache_dir)) == 1

        other = pb.DeflickerJob()
        other.CopyFrom(job)
        other.params.guide_weight = 5.0
        changed = client.deflicker(other, 1004)
        assert not changed.from_cache and changed.remaps == 4
        assert not np.array_equal(changed.image, first.image)

        # A frame inside the window changed misses; one outside it (1001) does not matter.
        edited = dict(render)
        edited[1006] = np.ascontiguousarray(render[1006] * np.float32(0.9))
        edited[1001] = np.ascontiguousarray(render[1001] * np.float32(0.9))
        inside = pb.DeflickerJob()
        inside.CopyFrom(job)
        del inside.frames[:]
        inside.frames.extend(_upload(client, edited))
        assert not client.deflicker(inside, 1004).from_cache
        outside = pb.DeflickerJob()
        outside.CopyFrom(inside)
        del outside.frames[:]
        outside.frames.extend(_upload(client, {**render, 1001: edited[1001]}))
        assert client.deflicker(outside, 1004).from_cache
        assert (client.info().cache.misses, client.info().cache.hits) == (3, 2)
    assert '"cache": "hit"' in server.log()

    server.stop()
    restarted = server_factory(cache_dir=server.cache_dir)
    with BackendClient(restarted.address) as client:
        del job.frames[:], job.guide[:]
        job.frames.extend(_upload(client, render))
        job.guide.extend(_upload(client, plate))
        kept = client.deflicker(job, 1004, want_support=True)
        assert kept.from_cache and np.array_equal(kept.image, first.image)


def test_racing_calls_compute_a_frame_once(server, shot: Path) -> None:
    """Two clients asking for one frame at once: one computes it, the other reads it back."""
    render = _read(str(shot / "r.####.exr"))
    plate = _read(str(shot / "p.####.exr"))
    params = pb.DeflickerParams(mode=pb.DEFLICKER_MODE_ACCURATE, window=3)
    results: list = [None, None]

    def ask(index: int) -> None:
        with BackendClient(server.address) as client:
            job = pb.DeflickerJob(
                first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=_upload(client, render),
                guide=_upload(client, plate), params=params,
            )  # fmt: skip
            results[index] = client.deflicker(job, 1004)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in results)
    assert sorted(r.from_cache for r in results) == [False, True]
    assert np.array_equal(results[0].image, results[1].image)
    assert len(_cached_frames(server.cache_dir)) == 1


def test_the_cache_keeps_its_disk_budget(server_factory, shot: Path) -> None:
    """With a 1 MiB budget (a quarter for deflickered frames: two 96x54 frames), the least
    recently used frame is evicted and computed again when asked for."""
    render = _read(str(shot / "r.####.exr"))
    plate = _read(str(shot / "p.####.exr"))
    server = server_factory("--cache-limit-mb", "1")
    with BackendClient(server.address) as client:
        job = pb.DeflickerJob(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=_upload(client, render),
            guide=_upload(client, plate),
            params=pb.DeflickerParams(mode=pb.DEFLICKER_MODE_FAST, window=1),
        )  # fmt: skip
        for frame in (1003, 1004, 1005):
            assert not client.deflicker(job, frame).from_cache
        assert len(_cached_frames(server.cache_dir)) == 2
        assert client.deflicker(job, 1005).from_cache
        assert not client.deflicker(job, 1003).from_cache  # evicted
        cache = client.info().cache
        assert cache.used_bytes <= cache.limit_bytes
