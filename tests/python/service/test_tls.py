# SPDX-License-Identifier: Apache-2.0
"""TLS: ``synthfx serve --tls-cert/--tls-key`` with a token, as a farm backend runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import pytest
from service_testing import fast_params, paint, reference_render, synthetic_shot

from synthfx.client import BackendClient, BackendUnavailableError, Payload, ServiceError
from synthfx.status_table import KIND_METADATA_KEY
from synthfx.v1 import synthfx_pb2 as pb
from synthfx.v1 import synthfx_pb2_grpc as pb_grpc
from tls_testing import TLS_TOKEN, issue_certificates

pytest.importorskip("cryptography")


@pytest.fixture
def tls_server(server_factory, tmp_path: Path):
    authority = issue_certificates(tmp_path / "pki", "a")
    token_file = tmp_path / "token"
    token_file.write_text(TLS_TOKEN + "\n")
    server = server_factory(
        "--tls-cert", str(authority.cert), "--tls-key", str(authority.key),
        "--token-file", str(token_file),
    )  # fmt: skip
    return server, authority, token_file


def test_tls_render_and_round_trip(tls_server) -> None:
    server, authority, token_file = tls_server
    shot = synthetic_shot(4, seed=31)
    keys = {0: paint(shot[0])}
    params = fast_params()
    # Streaming: TLS protects payloads only when they travel over the connection.
    with BackendClient(
        server.address, tls_ca=authority.ca, token_file=token_file, shared_memory="never"
    ) as client:
        info = client.info()
        assert info.auth_required
        frame = np.random.default_rng(3).random((33, 47, 4), dtype=np.float32)
        payload = Payload.of(frame)
        # Streamed uploads are checked against their hash: stored means intact.
        assert client.missing([payload.image.content_hash]) == [payload.image.content_hash]
        client.upload([payload])
        assert client.missing([payload.image.content_hash]) == []
        job = client.upload_job(shot, keys, params=params)
        rendered = client.render(job, 3)
    expected = reference_render(shot, keys, params, [3])[3]
    np.testing.assert_array_equal(rendered.image, expected)


def test_tls_refuses_plaintext_and_unknown_authorities(tls_server, tmp_path: Path) -> None:
    server, _, token_file = tls_server
    with pytest.raises(BackendUnavailableError):
        BackendClient(server.address, token_file=token_file).info(timeout=10)
    stranger = issue_certificates(tmp_path / "other-pki", "b")
    with pytest.raises(BackendUnavailableError):
        BackendClient(server.address, tls_ca=stranger.ca, token_file=token_file).info(timeout=10)
    # The server is unharmed by the failed handshakes.
    with BackendClient(server.address, tls_ca=tls_server[1].ca, token_file=token_file) as client:
        assert client.info().auth_required


def test_tls_bad_files_fail_at_start(tmp_path: Path) -> None:
    authority = issue_certificates(tmp_path / "pki", "c")
    token_file = tmp_path / "token"
    token_file.write_text(TLS_TOKEN)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    base = [sys.executable, "-m", "synthfx.cli", "serve", "--listen", "127.0.0.1:0",
            "--cache-dir", str(tmp_path / "cache"), "--token-file", str(token_file)]  # fmt: skip
    cases = {
        "missing": (["--tls-cert", str(tmp_path / "absent.pem"), "--tls-key", str(authority.key)],
                    "absent.pem"),
        "garbage": (["--tls-cert", str(garbage), "--tls-key", str(authority.key)], "garbage.pem"),
        "half": (["--tls-cert", str(authority.cert)], "--tls-cert and --tls-key go together"),
    }  # fmt: skip
    for label, (args, expected) in cases.items():
        result = subprocess.run([*base, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, (label, result.returncode, result.stderr)
        assert expected in result.stderr, (label, result.stderr)


def test_tls_stylize_cli_through_remote_backend(tls_server, tmp_path: Path) -> None:
    """``synthfx stylize --backend`` with --backend-tls-ca equals the local run."""
    server, authority, token_file = tls_server
    from synthfx.io import write_image

    shot = synthetic_shot(3, seed=32)
    for frame, pixels in shot.items():
        write_image(tmp_path / f"in.{frame:04d}.exr", pixels)
    write_image(tmp_path / "key.exr", paint(shot[0]))
    common = [
        sys.executable, "-m", "synthfx.cli", "stylize", "--frames", str(tmp_path / "in.####.exr"),
        "--key", f"0={tmp_path / 'key.exr'}", "--flow", "dis-ultrafast",
        "--patch-size", "5", "--pyramid-levels", "2", "--search-vote-iters", "2",
        "--patchmatch-iters", "2", "--dtype", "float",
    ]  # fmt: skip
    remote = subprocess.run(
        [*common, "--out", str(tmp_path / "remote.####.exr"), "--backend", server.address,
         "--backend-token-file", str(token_file), "--backend-tls-ca", str(authority.ca)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    local = subprocess.run(
        [*common, "--out", str(tmp_path / "local.####.exr")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    from synthfx.io import read_image

    for frame in shot:
        a = read_image(tmp_path / f"remote.{frame:04d}.exr").pixels
        b = read_image(tmp_path / f"local.{frame:04d}.exr").pixels
        np.testing.assert_array_equal(a, b)


def test_tls_wrong_token_is_still_refused(tls_server) -> None:
    server, authority, _ = tls_server
    with pytest.raises(ServiceError, match="missing or wrong token"):
        BackendClient(server.address, tls_ca=authority.ca, token="wrong" * 10).info()
    # The refusal names its row of the status table in the trailer, as every failure does.
    credentials = grpc.ssl_channel_credentials(authority.ca.read_bytes())
    with grpc.secure_channel(server.address, credentials) as channel:
        with pytest.raises(grpc.RpcError) as failure:
            pb_grpc.SynthfxStub(channel).GetInfo(pb.GetInfoRequest(), timeout=10)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (KIND_METADATA_KEY, "unauthenticated") in failure.value.trailing_metadata()
