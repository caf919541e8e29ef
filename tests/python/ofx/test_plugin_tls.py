# SPDX-License-Identifier: Apache-2.0
"""The OFX plugin against a TLS backend (``synthfx serve --tls-cert/--tls-key --token-file``)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ofx_testing import (
    FAST_PARAMS,
    FRAMES,
    HOST,
    STYLIZE,
    Backend,
    cli_reference,
    read_output,
    run_host,
    start_backend,
    stylize,
    write_keys,
)

from synthfx.io import read_image
from tls_testing import TLS_TOKEN, Authority, issue_certificates

pytest.importorskip("cryptography")

# Short enough that the failing cases stay quick, long enough for a TLS handshake on a busy
# machine.
CONNECT_TIMEOUT = 3


@dataclass
class TlsBackend:
    backend: Backend
    authority: Authority
    token_file: Path

    def params(self, *, ca: Path | None) -> tuple[str, ...]:
        """The plugin's Backend page: address, token, connect timeout and (optionally) CA."""
        params = ("--param", f"backendAddress={self.backend.address}",
                  "--param", f"backendTokenFile={self.token_file}",
                  "--param", f"connectTimeout={CONNECT_TIMEOUT}")  # fmt: skip
        return params if ca is None else (*params, "--param", f"backendTlsCaFile={ca}")


@pytest.fixture(scope="module")
def tls_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBackend]:
    root = tmp_path_factory.mktemp("tls-backend")
    authority = issue_certificates(root / "pki", "plugin")
    token_file = root / "token"
    token_file.write_text(TLS_TOKEN + "\n")
    tls = ("--tls-cert", str(authority.cert), "--tls-key", str(authority.key))
    server = start_backend(root, "127.0.0.1:0", *tls, "--token-file", str(token_file))
    yield TlsBackend(server, authority, token_file)
    server.kill()


@pytest.fixture(scope="module")
def stranger_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that did not sign the backend's certificate."""
    return issue_certificates(tmp_path_factory.mktemp("stranger-pki"), "stranger").ca


@pytest.mark.parametrize("plugin", [STYLIZE, "org.synthfx.ImageSynth"])
def test_smoke(bundle: Path, plugin: str) -> None:
    """Both nodes have TLS CA File (a file path) on the Backend page, after Token File."""
    params = {p["name"]: p for p in run_host(bundle, "--plugin", plugin, "--describe").of("param")}
    assert params["backendTlsCaFile"]["OfxParamPropStringMode"] == ["OfxParamStringIsFilePath"]
    backend_page = params["backendPage"]["OfxParamPropPageChild"]
    token = backend_page.index("backendTokenFile")
    assert backend_page[token + 1] == "backendTlsCaFile"


def test_tls_render_equals_cli(bundle, clips, shot, keys, tls_backend, tmp_path) -> None:
    """With the CA (parameter or $SYNTHFX_TLS_CA) and token, frames equal the CLI's bit for bit;
    payloads still go through shared memory on the same host."""
    cli_reference(shot, write_keys(keys, tmp_path / "keys"), tmp_path)

    by_param = stylize(bundle, clips, tmp_path / "param", "--frames", "5,9",
                       *tls_backend.params(ca=tls_backend.authority.ca))  # fmt: skip
    assert by_param.returncode == 0, by_param.messages()
    uploads, renders = tls_backend.backend.logged("upload"), tls_backend.backend.renders()
    assert uploads and all(u["inline_bytes"] == 0 for u in uploads), uploads
    assert [r["output"] for r in renders] == ["shm", "shm"], renders

    by_env = stylize(bundle, clips, tmp_path / "env", "--frames", "2",
                     "--param", f"backendAddress={tls_backend.backend.address}",
                     "--param", f"connectTimeout={CONNECT_TIMEOUT}",
                     env={"SYNTHFX_TLS_CA": str(tls_backend.authority.ca),
                          "SYNTHFX_TOKEN_FILE": str(tls_backend.token_file)})  # fmt: skip
    assert by_env.returncode == 0, by_env.messages()

    for out, frames in ((tmp_path / "param", (5, 9)), (tmp_path / "env", (2,))):
        for frame in frames:
            expected = read_image(tmp_path / "cli" / f"o.{frame:04d}.exr").pixels
            got = read_output(str(out / "o.%04d.npy"), frame)
            assert got.shape == (*expected.shape[:2], 4)
            assert np.array_equal(got[..., : expected.shape[2]], expected), f"frame {frame}"


def test_exception_tls_without_ca(bundle, clips, tls_backend, tmp_path) -> None:
    """Plaintext to a TLS backend fails the frame within the connect timeout, pointing at TLS."""
    run = stylize(bundle, clips, tmp_path, "--frames", "3", "--background", "1",
                  *tls_backend.params(ca=None), env={"SYNTHFX_TLS_CA": ""})  # fmt: skip
    assert run.returncode == 1 and run.renders() == {3: 1}
    assert tls_backend.backend.address in run.messages()
    assert "TLS CA File" in run.messages(), run.messages()
    assert run.seconds < CONNECT_TIMEOUT + 10
    assert not list(tmp_path.glob("*.npy")), "a failed frame must not be written"


def test_exception_tls_unknown_authority(bundle, clips, tls_backend, stranger_ca, tmp_path):
    """A CA that did not sign the backend's certificate: the handshake fails, and says so."""
    run = stylize(bundle, clips, tmp_path, "--frames", "3", "--background", "1",
                  *tls_backend.params(ca=stranger_ca))  # fmt: skip
    assert run.returncode == 1 and run.renders() == {3: 1}
    text = run.messages()
    assert tls_backend.backend.address in text and str(stranger_ca) in text, text
    assert "TLS" in text and "certificate" in text, text
    assert run.seconds < CONNECT_TIMEOUT + 10


def test_exception_tls_ca_file_missing(bundle, clips, tls_backend, tmp_path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    run = stylize(bundle, clips, tmp_path, "--frames", "3", *tls_backend.params(ca=missing))
    assert run.returncode == 1 and run.renders() == {3: 1}
    assert f"cannot read the TLS CA file {missing}" in run.messages(), run.messages()
    not_pem = tmp_path / "token-not-ca.pem"
    not_pem.write_text(TLS_TOKEN)
    run = stylize(bundle, clips, tmp_path, "--frames", "3", *tls_backend.params(ca=not_pem))
    assert run.returncode == 1
    assert f"TLS CA file {not_pem} holds no PEM certificate" in run.messages(), run.messages()


def test_changed_ca_recreates_the_channel(bundle, clips, tls_backend, stranger_ca, tmp_path):
    """A connected node whose CA changes connects anew with it (here: and is refused)."""
    ca = tmp_path / "ca.pem"
    ca.write_bytes(tls_backend.authority.ca.read_bytes())
    (tmp_path / "out").mkdir()
    args = [str(HOST), "--bundle", str(bundle), "--plugin", STYLIZE, "--range", f"0-{FRAMES - 1}",
            "--keys", "styleKey=0,8", "--out", str(tmp_path / "out" / "o.%04d.npy"),
            "--background", "1", "--clip", f"Source={clips['Source']}",
            "--clip", f"Style={clips['Style']}", "--frames", "4,6", "--pause-after", "4=2000",
            *tls_backend.params(ca=ca)]  # fmt: skip
    for param in FAST_PARAMS:
        args += ["--param", param]
    host = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert host.stdout is not None
    lines = []
    try:
        for line in host.stdout:
            lines.append(line)
            if '"render"' in line and '"frame":4' in line:
                ca.write_bytes(stranger_ca.read_bytes())  # during the pause after frame 4
        host.wait(timeout=120)
    finally:
        host.kill()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    renders = {e["frame"]: e["status"] for e in events if e["event"] == "render"}
    assert renders == {4: 0, 6: 1}, events
    text = "\n".join(e.get("text", "") for e in events)
    assert f"TLS with the CA file {ca}" in text, text
