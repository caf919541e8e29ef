# SPDX-License-Identifier: Apache-2.0
"""A Cancel RPC or a passed deadline stops the synthesis running on the server within one
PatchMatch iteration (not at the next frame), and the server keeps serving."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from service_testing import fast_params, paint, synthetic_shot

from synthfx.client import BackendClient, DeadlineExceededError, ServiceCancelledError
from synthfx.v1 import synthfx_pb2 as pb
from synthfx_testing import load_stylit

# A cancelled call must end within this fraction of an uncancelled one.
PROMPT_FRACTION = 0.3
# One pass frame of several seconds (270x480, Ezsynth-like engine settings).
SLOW_RENDER = {"patch_size": 7, "search_vote_iters": 12, "patchmatch_iters": 6, "pyramid_levels": 4}


@pytest.fixture(scope="module")
def stylit(ebsynth_data) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, float]]]:
    """The StyLit example at half size (456x600): several seconds of synthesis on 2 cores."""
    return load_stylit(ebsynth_data, 0.5, ("fullgi",))


def _other(client: BackendClient) -> BackendClient:
    """A second connection on the same session (as another thread of the plugin would use)."""
    other = BackendClient(client.address)
    other.session_id = client.session_id
    return other


def _wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition()`` held (polled); fails after ``timeout``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "condition not reached in time"
        time.sleep(0.02)
    return time.monotonic() - started


def _idle(client: BackendClient) -> bool:
    return client.info().load.active_calls == 0


def test_image_synth_cancel_and_deadline(module_server, stylit) -> None:
    style, guides = stylit
    with BackendClient(module_server.address) as client, _other(client) as other:
        started = time.monotonic()
        (reference,) = client.image_synth(style, guides)
        full = time.monotonic() - started
        assert full > 1.0, f"the synthesis took only {full:.2f} s: too small to cancel"

        # Cancel RPC from another thread while the engine works.
        cancelled_at: list[float] = []

        def cancel_when_running() -> None:
            _wait_until(lambda: other.info().load.active_calls >= 1, 30)
            time.sleep(0.2 * full)
            cancelled_at.append(time.monotonic())
            assert other.cancel() == 1

        canceller = threading.Thread(target=cancel_when_running)
        canceller.start()
        try:
            with pytest.raises(
                ServiceCancelledError,
                match=r"CANCELLED.*cancelled during the synthesis \(\d+% done",
            ):
                client.image_synth(style, guides)
            ended = time.monotonic()
        finally:
            canceller.join()
        latency = ended - cancelled_at[0]
        assert latency < PROMPT_FRACTION * full, f"cancel took {latency:.2f} s of {full:.2f} s"
        assert _idle(other)

        # A passed deadline: the client gets DEADLINE_EXCEEDED at once, and the server's
        # synthesis stops too (the call leaves the server long before a full run would end).
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="DEADLINE_EXCEEDED"):
            client.image_synth(style, guides, timeout=0.2 * full)
        assert time.monotonic() - started < 0.2 * full + 1.0
        stopped = _wait_until(lambda: _idle(other), full)
        assert stopped < PROMPT_FRACTION * full, f"server ran on {stopped:.2f} s after the deadline"

        # The server still serves, with the same result as before; asked for, progress comes
        # a few times a second, rising, and changes nothing.
        events: list[pb.Progress] = []
        (again,) = client.image_synth(style, guides, progress=events.append)
        assert np.array_equal(again.pixels, reference.pixels)
        fractions = [e.fraction for e in events]
        assert len(fractions) >= 2 and all(e.stage == "synthesizing" for e in events)
        assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] < 1.0


def _slow_job(client: BackendClient, seed: int) -> pb.Job:
    """Key 0 and one frame to synthesize: Render(1) is one slow pass frame."""
    shot = synthetic_shot(2, seed=seed, height=270, width=480)
    return client.upload_job(shot, {0: paint(shot[0])}, params=fast_params(**SLOW_RENDER))


def test_render_cancel_and_deadline(module_server) -> None:
    with BackendClient(module_server.address) as client, _other(client) as other:
        # Cancel after the first sign of the engine at work ("synthesizing" progress).
        job = _slow_job(client, seed=31)
        working = threading.Event()
        stages: list[str] = []

        fractions: list[float] = []

        def on_progress(progress: pb.Progress) -> None:
            stages.append(progress.stage)
            if progress.stage == "synthesizing":
                fractions.append(progress.fraction)
                working.set()

        cancelled_at: list[float] = []

        def cancel_when_working() -> None:
            assert working.wait(60)
            cancelled_at.append(time.monotonic())
            assert other.cancel("slow") == 1

        canceller = threading.Thread(target=cancel_when_working)
        canceller.start()
        try:
            with pytest.raises(
                ServiceCancelledError, match=r"CANCELLED.*cancelled during the synthesis of frame 1"
            ):
                client.render(job, 1, request_id="slow", progress=on_progress)
            ended = time.monotonic()
        finally:
            canceller.join()
        latency = ended - cancelled_at[0]
        assert "synthesis" not in stages  # the frame never finished
        assert fractions and all(0.0 <= f < 1.0 for f in fractions)

        # Nothing partial was kept: the frame is computed from scratch, in full.
        started = time.monotonic()
        rendered = client.render(job, 1)
        full = time.monotonic() - started
        assert not rendered.from_cache
        assert latency < PROMPT_FRACTION * full, f"cancel took {latency:.2f} s of {full:.2f} s"

        # A deadline stops the server's synthesis too.
        job = _slow_job(client, seed=32)
        with pytest.raises(DeadlineExceededError, match="DEADLINE_EXCEEDED"):
            client.render(job, 1, timeout=0.3 * full)
        stopped = _wait_until(lambda: _idle(other), full)
        assert stopped < PROMPT_FRACTION * full, f"server ran on {stopped:.2f} s after the deadline"
        assert client.info().protocol_major == pb.PROTOCOL_VERSION_MAJOR
