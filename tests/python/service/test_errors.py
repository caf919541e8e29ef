# SPDX-License-Identifier: Apache-2.0
"""Bad requests get clean errors naming the problem, and the server keeps serving."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from service_testing import fast_params, paint, synthetic_shot

from synthfx.client import (
    AuthenticationError,
    BackendClient,
    DeadlineExceededError,
    InvalidRequestError,
    NotFoundError,
    Payload,
    ServiceCancelledError,
)
from synthfx.transport.shm import Segment
from synthfx.v1 import synthfx_pb2 as pb

MIB = 1 << 20


def _raw_unary(address: str, method: str, data: bytes) -> grpc.RpcError:
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(f"/synthfx.v1.Synthfx/{method}")
        with pytest.raises(grpc.RpcError) as failure:
            call(data, timeout=10)
    return failure.value


def _upload(address: str, messages: list[pb.UploadFramesRequest]) -> grpc.RpcError:
    options = [("grpc.max_send_message_length", 64 * MIB)]
    with grpc.insecure_channel(address, options) as channel:
        call = channel.stream_unary(
            "/synthfx.v1.Synthfx/UploadFrames",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=pb.UploadFramesResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as failure:
            call(iter(messages), timeout=30)
    return failure.value


def _still_serving(address: str) -> None:
    with BackendClient(address) as client:
        assert client.info().protocol_major == pb.PROTOCOL_VERSION_MAJOR


@pytest.fixture
def client(module_server) -> Iterator[BackendClient]:
    with BackendClient(module_server.address, shared_memory="never") as backend:
        yield backend
    _still_serving(module_server.address)


def test_exception_malformed_messages(module_server) -> None:
    for method in ("GetInfo", "OpenSession", "Render", "FindMissingFrames"):
        error = _raw_unary(module_server.address, method, b"\xff\xff\xff\x07garbage")
        if method == "Render":  # server streaming: the error arrives with the stream
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, method
        assert f"malformed {method} request" in error.details()
    _still_serving(module_server.address)


def _header(payload: Payload, session_id: str, **changes: object) -> pb.UploadFramesRequest:
    image = pb.Image()
    image.CopyFrom(payload.image)
    image.inline_chunks.SetInParent()
    for name, value in changes.items():
        if name.startswith("desc_"):
            setattr(image.desc, name.removeprefix("desc_"), value)
        else:
            setattr(image, name, value)
    return pb.UploadFramesRequest(session_id=session_id, image=image)


def _chunk(session_id: str, offset: int, data: bytes) -> pb.UploadFramesRequest:
    return pb.UploadFramesRequest(
        session_id=session_id, chunk=pb.ImageChunk(offset=offset, data=data)
    )


def test_exception_truncated_and_corrupt_uploads(client: BackendClient, module_server) -> None:
    sid = client._session()
    payload = Payload.of(synthetic_shot(1, seed=11)[0])
    data, size = payload.data, len(payload.data)
    cases = {
        "truncated, 1000 of": [_header(payload, sid), _chunk(sid, 0, data[:1000])],
        "does not match content_hash": [
            _header(payload, sid),
            _chunk(sid, 0, bytes(size)),
        ],
        "expected offset 0": [_header(payload, sid), _chunk(sid, 8, data[8:])],
        "a chunk without an image header": [_chunk(sid, 0, data)],
        "at most": [_header(payload, sid), _chunk(sid, 0, data + b"extra")],
        "no payload": [pb.UploadFramesRequest(session_id=sid, image=payload.ref())],
    }
    for expected, messages in cases.items():
        error = _upload(module_server.address, messages)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, expected
        assert expected in error.details()
    assert client.missing([payload.image.content_hash]) == [payload.image.content_hash]


def test_exception_oversized_message(client: BackendClient, module_server) -> None:
    sid = client._session()
    big = np.zeros((1024, 1024, 3), np.float32)  # 12 MiB: one chunk beyond the 8 MiB limit
    payload = Payload.of(big)
    error = _upload(module_server.address, [_header(payload, sid), _chunk(sid, 0, payload.data)])
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"desc_dtype": pb.DTYPE_FLOAT16}, "payload_bytes is 36864, a 64x48x3 float16 image needs"),
        ({"desc_dtype": pb.DTYPE_UINT8}, "a 64x48x3 uint8 image needs 9216"),
        ({"desc_dtype": pb.DTYPE_UNSPECIFIED}, "dtype must be float32, float16 or uint8"),
        ({"desc_width": 0}, "width must be in [1, 16384], got 0"),
        ({"desc_channels": 4}, "payload_bytes is 36864, a 64x48x4 float32 image needs 49152"),
        ({"desc_height": 100000}, "height must be in [1, 16384], got 100000"),
        ({"payload_bytes": 12}, "payload_bytes is 12"),
        ({"content_hash": "abc"}, "content_hash must be 64 lowercase hex digits"),
    ],
)
def test_exception_wrong_dtype_and_size(
    client: BackendClient, module_server, change: dict, expected: str
) -> None:
    sid = client._session()
    payload = Payload.of(synthetic_shot(1, seed=12)[0])
    messages = [_header(payload, sid, **change), _chunk(sid, 0, payload.data)]
    error = _upload(module_server.address, messages)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert expected in error.details()


def test_exception_unknown_session_and_missing_frames(client: BackendClient) -> None:
    shot = synthetic_shot(3)
    job = client.upload_job(shot, {0: paint(shot[0])}, params=fast_params())
    client.session_id = "0" * 32
    with pytest.raises(NotFoundError, match="unknown session 0000"):
        client.info() and client.missing([])
    with pytest.raises(NotFoundError, match="unknown session"):
        client.render(job, 1)
    client.session_id = "not-a-session"
    with pytest.raises(InvalidRequestError, match="session_id must be 32 hex digits"):
        client.render(job, 1)
    client.session_id = None
    job.frames[1].image.content_hash = "ab" * 32
    with pytest.raises(
        NotFoundError, match=r"job.frames\[frame 1\]: content abab.* not on the server"
    ):
        client.render(job, 2)
    del job.frames[1:]
    with pytest.raises(InvalidRequestError, match=r"lacks frame\(s\) 1-2; frame 2 depends on"):
        client.render(job, 2)


def test_exception_protocol_mismatch(module_server) -> None:
    with grpc.insecure_channel(module_server.address) as channel:
        call = channel.unary_unary(
            "/synthfx.v1.Synthfx/OpenSession",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=pb.OpenSessionResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as failure:
            call(pb.OpenSessionRequest(protocol_major=9, protocol_minor=5), timeout=10)
    assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "client speaks synthfx protocol 9.5, this backend" in failure.value.details()


def test_exception_bad_parameters(client: BackendClient) -> None:
    shot = synthetic_shot(3)
    job = client.upload_job(shot, {0: paint(shot[0])}, params=fast_params())
    cases = {
        # An enum number this backend does not know (a newer client's method, say).
        "edge must be one of 'classic', 'pst', 'page'; got enum value 99": pb.StylizeParams(
            edge=99
        ),
        "unknown flow method 'farneback'": pb.StylizeParams(flow="farneback"),
        "engine.patch_size must be odd, got 4": pb.StylizeParams(
            engine=pb.EngineParams(patch_size=4)
        ),
        "feather must be finite and >= 0, got -1.0": pb.StylizeParams(feather=-1),
        "unknown stylize option(s): colour": pb.StylizeParams(options={"colour": "1"}),
        "is not JSON": pb.StylizeParams(options={"screening": "{"}),
    }
    for expected, params in cases.items():
        job.params.CopyFrom(params)
        with pytest.raises(InvalidRequestError) as failure:
            client.render(job, 1)
        assert expected in str(failure.value)
    job.params.CopyFrom(fast_params())
    with pytest.raises(InvalidRequestError, match="frame 7 is outside the job's frames 0-2"):
        client.render(job, 7)


def test_exception_path_traversal(client: BackendClient, module_server) -> None:
    shot = synthetic_shot(3)
    job = client.upload_job(shot, {0: paint(shot[0])}, params=fast_params())
    sid = client._session()
    for flow in ("raft:../../etc/passwd", "raft:/etc/passwd", "raft:models/../x.pth"):
        job.params.flow = flow
        with pytest.raises(InvalidRequestError, match="must be raft:NAME"):
            client.render(job, 1)
    job.params.CopyFrom(fast_params())
    job.frames[0].image.desc.channel_names[:] = ["../../R", "G", "B"]
    with pytest.raises(InvalidRequestError, match=r"bad channel name '\.\./\.\./R'"):
        client.render(job, 1)
    del job.frames[0].image.desc.channel_names[:]
    good_hash = job.frames[0].image.content_hash
    job.frames[0].image.content_hash = "../" * 21 + "a"
    with pytest.raises(InvalidRequestError, match="content_hash must be 64 lowercase hex"):
        client.render(job, 1)
    job.frames[0].image.content_hash = good_hash
    with pytest.raises(InvalidRequestError, match="request_id must match"):
        client.render(job, 1, request_id="../../tmp/x")
    payload = Payload.of(shot[0])
    for name in ("../../etc/passwd", "synthfx-../../x", "/dev/shm/synthfx-a", "synthfx-a/b"):
        image = pb.Image()
        image.CopyFrom(payload.image)
        image.shm.CopyFrom(pb.SharedMemoryHandle(name=name, offset=0, size=len(payload.data)))
        error = _upload(
            module_server.address, [pb.UploadFramesRequest(session_id=sid, image=image)]
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "name must match ^synthfx-[A-Za-z0-9_-]{1,128}$" in error.details()
    handle = pb.SharedMemoryHandle(name="synthfx-../../../etc/passwd", size=16)
    info = client._call("GetInfo", pb.GetInfoRequest(shm_probe=handle, probe_token="x"))
    assert not info.shm_probe_ok and "no '/' or '..'" in info.shm_probe_error


def test_exception_shared_memory_limits(client: BackendClient, module_server) -> None:
    sid = client._session()
    payload = Payload.of(synthetic_shot(1)[0])
    with Segment.create(100) as segment:
        try:
            image = pb.Image()
            image.CopyFrom(payload.image)
            image.shm.CopyFrom(
                pb.SharedMemoryHandle(name=segment.name, offset=0, size=len(payload.data))
            )
            error = _upload(
                module_server.address, [pb.UploadFramesRequest(session_id=sid, image=image)]
            )
        finally:
            segment.unlink()
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"has 100 bytes, {len(payload.data)} are needed at offset 0" in error.details()


def test_exception_token(server_factory, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cr3t-" + "x" * 40 + "\n")
    server = server_factory("--token-file", str(token_file))
    with pytest.raises(AuthenticationError, match=r"UNAUTHENTICATED.*missing or wrong token"):
        BackendClient(server.address).info()
    with pytest.raises(AuthenticationError, match="missing or wrong token"):
        BackendClient(server.address, token="s3cr3t-" + "y" * 40).info()
    with BackendClient(server.address, token_file=token_file) as client:
        assert client.info().auth_required
    # Non-loopback without a token: refused with a message, exit status 2.
    refused = subprocess.run(
        [sys.executable, "-m", "synthfx.cli", "serve", "--listen", "0.0.0.0:0",
         "--cache-dir", str(tmp_path / "c")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "accepts remote connections: give --token-file" in refused.stderr


def _slow_job(client: BackendClient) -> pb.Job:
    shot = synthetic_shot(40, seed=21, height=72, width=128)
    params = fast_params(search_vote_iters=6, patchmatch_iters=4, pyramid_levels=3)
    return client.upload_job(shot, {0: paint(shot[0])}, params=params)


def test_exception_deadline_and_cancel(client: BackendClient) -> None:
    job = _slow_job(client)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="DEADLINE_EXCEEDED"):
        client.render(job, 39, timeout=0.5)
    assert time.monotonic() - started < 5
    events: list[pb.Progress] = []
    progressed = threading.Event()

    def on_progress(progress: pb.Progress) -> None:
        events.append(progress)
        progressed.set()

    def cancel_when_running() -> None:
        progressed.wait(30)
        with BackendClient(client.address) as other:
            other.session_id = client.session_id
            assert other.cancel("slow-render") == 1
            other.session_id = None  # not ours to close

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    with pytest.raises(ServiceCancelledError, match="CANCELLED"):
        client.render(job, 39, request_id="slow-render", progress=on_progress)
    canceller.join()
    assert events
