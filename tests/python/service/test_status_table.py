# SPDX-License-Identifier: Apache-2.0
"""Every row of synthfx.status_table, sent by a real server, read by both clients: the Python
client's exception class and the C++ client's (the plugin's) ClientStatus."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import numpy as np
import pytest

from synthfx import status_table
from synthfx.client import BackendClient, Payload
from synthfx.client.errors import EXCEPTIONS, ServiceError, from_rpc_error
from synthfx.engine import cuda_available
from synthfx.errors import CancelledError, DeviceUnavailableError
from synthfx.service.status import StatusError, abort, status_of
from synthfx.v1 import synthfx_pb2 as pb
from synthfx.v1 import synthfx_pb2_grpc as pb_grpc

REPO = Path(__file__).resolve().parents[3]
BUILD = REPO / "build" / "cpp"
STATUS_CLIENT = BUILD / "tests" / "ofx" / "synthfx_status_client"
CLIENT_LIBRARY = BUILD / "ofx" / "synthfx.ofx.bundle" / "Contents" / "Libraries"
# The C++ client's ClientStatus for each kind (ofx_plugin/src/backend_client.h).
CPP_STATUS = {
    "invalid-argument": "InvalidArgument",
    "not-found": "NotFound",
    "path-not-allowed": "PathNotAllowed",
    "protocol-mismatch": "VersionMismatch",
    "unauthenticated": "Unauthenticated",
    "busy": "ResourceExhausted",
    "cancelled": "Cancelled",
    "device-unavailable": "DeviceUnavailable",
    "internal": "Failed",
    "unavailable": "Unavailable",
    "deadline-exceeded": "DeadlineExceeded",
}
KINDS = [status.kind for status in status_table.STATUSES]


def _cpp(address: str, scenario: str, arg: str = "", token: str = "") -> tuple[str, str]:
    """(ClientStatus name, message) of the C++ client in one scenario."""
    if not STATUS_CLIENT.is_file():
        pytest.fail(f"{STATUS_CLIENT} missing: run `make cpp-test` first")
    library = CLIENT_LIBRARY / "libsynthfx_client.so"
    done = subprocess.run(
        [str(STATUS_CLIENT), str(library), address, scenario, arg, token],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    name, _, message = done.stdout.strip().partition("\t")
    return name, message


def _python_error(call) -> ServiceError:
    with pytest.raises(ServiceError) as failure:
        call()
    return failure.value


def _assert_python(error: ServiceError, kind: str) -> None:
    status = status_table.status_named(kind)
    assert (type(error), error.kind, error.code) == (EXCEPTIONS[kind], kind, status.code)
    assert error.retryable == status.retryable


def test_table_is_complete() -> None:
    assert len(set(KINDS)) == len(KINDS)
    assert set(EXCEPTIONS) == set(KINDS) == set(CPP_STATUS)
    # Each kind the server sends is also the first row of its code that the server sends, so
    # a peer that reads only codes (another client, an older one) gets the same meaning.
    proto = (REPO / "proto" / "synthfx" / "v1" / "synthfx.proto").read_text()
    client = (REPO / "ofx_plugin" / "client" / "grpc_client.cpp").read_text()
    header = (REPO / "ofx_plugin" / "src" / "backend_client.h").read_text()
    for status in status_table.STATUSES:
        assert re.search(rf"\b{status.kind}\b.*\b{status.code.name}\b", proto), status.kind
        cpp = CPP_STATUS[status.kind]
        assert f'{{"{status.kind}", ClientStatus::{cpp}}}' in client, status.kind
        assert re.search(rf"\b{cpp},\s*//.*\b{status.kind}\b", header) or cpp == "Failed"


def test_server_mapping() -> None:
    assert status_of(CancelledError("x"))[0].kind == "cancelled"
    assert status_of(RuntimeError("a bug"))[0].kind == "internal"
    assert status_of(StatusError("busy", "full"))[0].code == grpc.StatusCode.RESOURCE_EXHAUSTED
    with pytest.raises(KeyError):
        StatusError("no-such-kind", "x")


def _style(size: int = 16) -> np.ndarray:
    return np.linspace(0, 1, size * size * 3, dtype=np.float32).reshape(size, size, 3)


class _FailingBackend(pb_grpc.SynthfxServicer):
    """A real gRPC server whose GetInfo fails with one row, through the service's own abort."""

    def __init__(self, kind: str) -> None:
        self.status = status_table.status_named(kind)

    def GetInfo(self, request, context):
        abort(context, self.status, f"failing as {self.status.kind}")


@pytest.mark.parametrize(
    "kind", [status.kind for status in status_table.STATUSES if status.sent_by_server]
)
def test_every_kind_through_both_clients(kind: str) -> None:
    server = grpc.server(ThreadPoolExecutor(2))
    pb_grpc.add_SynthfxServicer_to_server(_FailingBackend(kind), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        address = f"127.0.0.1:{port}"
        client = BackendClient(address)
        _assert_python(_python_error(client.info), kind)
        client.close()
        name, message = _cpp(address, "connect")
        assert name == CPP_STATUS[kind] and f"failing as {kind}" in message, (name, message)
    finally:
        server.stop(None)


def test_invalid_argument(module_server) -> None:
    style = _style()
    with BackendClient(module_server.address) as client:
        error = _python_error(lambda: client.image_synth(style, [(style[:12, :12], style, 1.0)]))
    _assert_python(error, "invalid-argument")
    assert _cpp(module_server.address, "mismatched-guide")[0] == "InvalidArgument"


def _key_path_job(client: BackendClient, path: str) -> pb.Job:
    frame = Payload.of(_style())
    client.upload([frame])
    return pb.Job(
        first_frame=0,
        last_frame=1,
        frames=[pb.FrameImage(frame=t, image=frame.ref()) for t in (0, 1)],
        keyframes=[pb.FrameImage(frame=0, path=path)],
    )


def test_not_found_and_path_not_allowed(server_factory, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    server = server_factory("--read-root", str(root))
    missing, outside = str(root / "missing.####.exr"), str(tmp_path / "k.####.exr")
    with BackendClient(server.address) as client:
        for path, kind in ((missing, "not-found"), (outside, "path-not-allowed")):
            job = _key_path_job(client, path)
            _assert_python(_python_error(lambda job=job: client.render(job, 1)), kind)
    assert _cpp(server.address, "key-path", missing)[0] == "NotFound"
    name, message = _cpp(server.address, "key-path", outside)
    assert name == "PathNotAllowed" and "read roots" in message


def test_protocol_mismatch(module_server) -> None:
    with grpc.insecure_channel(module_server.address) as channel:
        stub = pb_grpc.SynthfxStub(channel)
        with pytest.raises(grpc.RpcError) as failure:
            stub.OpenSession(pb.OpenSessionRequest(protocol_major=pb.PROTOCOL_VERSION_MAJOR + 1))
    error = from_rpc_error(failure.value, module_server.address, "OpenSession")
    _assert_python(error, "protocol-mismatch")
    assert f"speaks {pb.PROTOCOL_VERSION_MAJOR}." in str(error)


def test_unauthenticated(server_factory, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    right, wrong = "r" * 64, "w" * 64
    token_file.write_text(right + "\n")
    server = server_factory("--token-file", str(token_file))
    client = BackendClient(server.address, token=wrong)
    _assert_python(_python_error(client.open_session), "unauthenticated")
    client.close()
    assert _cpp(server.address, "connect", "", wrong)[0] == "Unauthenticated"
    assert _cpp(server.address, "connect", "", right)[0] == "Ok"


def test_busy(server_factory) -> None:
    server = server_factory("--max-sessions", "1")
    with BackendClient(server.address):  # holds the one session
        other = BackendClient(server.address)
        _assert_python(_python_error(other.open_session), "busy")
        other.close()
        assert _cpp(server.address, "connect")[0] == "ResourceExhausted"


def test_device_unavailable(module_server) -> None:
    if cuda_available()[0]:
        pytest.skip("CUDA is available here: the backend would compute")
    style = _style()
    cuda = pb.EngineParams(backend=pb.COMPUTE_BACKEND_CUDA)
    with BackendClient(module_server.address) as client:
        error = _python_error(lambda: client.image_synth(style, [(style, style, 1.0)], engine=cuda))
    _assert_python(error, "device-unavailable")
    assert isinstance(error, DeviceUnavailableError)  # as a local engine's missing CUDA is
    name, message = _cpp(module_server.address, "device", "engine.backend=cuda")
    assert name == "DeviceUnavailable" and "Device" in message, message


def test_cancelled_and_deadline(module_server) -> None:
    style = _style(256)
    slow = pb.EngineParams(search_vote_iters=40, patchmatch_iters=8, stop_threshold=0)
    with BackendClient(module_server.address) as client:

        def cancel_once_started(progress: pb.Progress) -> None:
            client.cancel()

        error = _python_error(
            lambda: client.image_synth(
                style, [(style, style, 1.0)], engine=slow, progress=cancel_once_started
            )
        )
        _assert_python(error, "cancelled")
        error = _python_error(
            lambda: client.image_synth(style, [(style, style, 1.0)], engine=slow, timeout=1.0)
        )
        _assert_python(error, "deadline-exceeded")
    assert _cpp(module_server.address, "cancelled")[0] == "Cancelled"


def test_unavailable(tmp_path: Path) -> None:
    address = f"unix:{tmp_path / 'nobody-listens'}"
    client = BackendClient(address)
    _assert_python(_python_error(lambda: client.info(timeout=2)), "unavailable")
    client.close()
    assert _cpp(address, "connect")[0] == "Unavailable"
