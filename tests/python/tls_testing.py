# SPDX-License-Identifier: Apache-2.0
"""Test certificates: a CA and a server certificate for 127.0.0.1 / localhost it signed.

Shared by the service and plugin tests (tests/python is on sys.path). Needs the ``cryptography``
package; callers skip with ``pytest.importorskip("cryptography")`` before using it.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

# The token the TLS tests' backends require (a farm backend on a non-loopback address must).
TLS_TOKEN = "farm-token-" + "t" * 40


@dataclass(frozen=True)
class Authority:
    """A certificate authority and one server certificate it signed, as PEM files."""

    ca: Path
    cert: Path
    key: Path


def issue_certificates(directory: Path, label: str) -> Authority:
    """A new CA (named after ``label``), and a certificate for 127.0.0.1 / localhost it signed.

    Args:
        directory: where ca.pem, server.pem and server.key (unencrypted PKCS#8) are written.
        label: tells CAs apart in their subject names.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name(f"synthfx test CA {label}"))
        .issuer_name(name(f"synthfx test CA {label}"))
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
        .subject_name(name("localhost"))
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
