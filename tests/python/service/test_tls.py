# SPDX-License-Identifier: Apache-2.0
"""TLS: ``synthfx serve --tls-cert/--tls-key`` with a token, as a farm backend runs."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from service_testing import fast_params, paint, reference_render, synthetic_shot

from synthfx.client import BackendClient, BackendUnavailableError, Payload, ServiceError

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

TOKEN = "farm-token-" + "t" * 40


@dataclass(frozen=True)
class Authority:
    """A certificate authority and one server certificate it signed, as PEM files."""

    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(directory: Path, label: str) -> Authority:
    """A CA, and a certificate for 127.0.0.1 / localhost signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"synthfx test CA {label}"))
        .issuer_name(_name(f"synthfx test CA {label}"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = Authority(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_server(server_factory, tmp_path: Path):
    authority = _issue(tmp_path / "pki", "a")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
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
        client.upload([payload])
        back = client.download(payload.image.content_hash)
        np.testing.assert_array_equal(back.pixels, frame)
        job = client.upload_job(shot, keys, params=params)
        rendered = client.render(job, 3)
    expected = reference_render(shot, keys, params, [3])[3]
    np.testing.assert_array_equal(rendered.image, expected)


def test_tls_refuses_plaintext_and_unknown_authorities(tls_server, tmp_path: Path) -> None:
    server, _, token_file = tls_server
    with pytest.raises(BackendUnavailableError):
        BackendClient(server.address, token_file=token_file).info(timeout=10)
    stranger = _issue(tmp_path / "other-pki", "b")
    with pytest.raises(BackendUnavailableError):
        BackendClient(server.address, tls_ca=stranger.ca, token_file=token_file).info(timeout=10)
    # The server is unharmed by the failed handshakes.
    with BackendClient(server.address, tls_ca=tls_server[1].ca, token_file=token_file) as client:
        assert client.info().auth_required


def test_tls_bad_files_fail_at_start(tmp_path: Path) -> None:
    authority = _issue(tmp_path / "pki", "c")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
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
