# SPDX-License-Identifier: Apache-2.0
"""Settings of one ``synthfx serve`` process."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from synthfx.cluster.address import ClusterAddress
from synthfx.cluster.options import ClusterOptions
from synthfx.errors import InputError
from synthfx.transport.wire import WireLimits

MIB = 1 << 20
# Chunks of 1 MiB: streamed round trips of 1080p and 4K frames run faster than with 4 MiB
# chunks (bench/README.md), as gRPC's flow control keeps smaller messages moving. The message
# limit leaves room for a Job listing tens of thousands of frames.
CHUNK_BYTES = 1 * MIB
MAX_MESSAGE_BYTES = 8 * MIB
MAX_FRAMES = 20000
DEFAULT_CACHE_DIR = Path("~/.cache/synthfx/service").expanduser()
DEFAULT_WIRE_LIMITS = WireLimits()
# HTTP/2 tuning for big payloads: large frames and read-ahead cut per-frame overhead.
HTTP2_OPTIONS = (
    ("grpc.http2.max_frame_size", 16 * MIB - 1),
    ("grpc.http2.lookahead_bytes", 16 * MIB),
)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
MAX_PORT = 65535


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``synthfx serve`` is configured with.

    Attributes:
        listen: ``HOST:PORT`` or ``unix:PATH``.
        cache_dir: rendered segments (survive restarts).
        cache_limit_bytes: disk budget of ``cache_dir``.
        frame_store_bytes: memory for uploaded frames.
        frame_disk_bytes: disk (``cache_dir/frames``) for uploaded frames that do not fit in
            memory; 0: none.
        token: required bearer token, or None (loopback and unix sockets only).
        tls_cert, tls_key: PEM files to serve TLS.
        models_dir: where ``raft:NAME`` flow models are looked up.
        read_roots: directories whose files clients may name (``FrameImage.path``); empty:
            none.
        cluster: the Ray cluster that computes segments' passes, or None (this process).
        cluster_options: its tasks' resources and retries.
    """

    listen: str = "127.0.0.1:50151"
    cache_dir: Path = DEFAULT_CACHE_DIR
    cache_limit_bytes: int = 20 * 1024 * MIB
    frame_store_bytes: int = 4 * 1024 * MIB
    frame_disk_bytes: int = 50 * 1024 * MIB
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    models_dir: Path | None = None
    read_roots: tuple[Path, ...] = ()
    max_sessions: int = 256
    session_idle_timeout_s: float = 3600.0
    max_concurrent_calls: int = 256
    workers: int = 64
    compute_slots: int = 1
    chunk_bytes: int = CHUNK_BYTES
    max_message_bytes: int = MAX_MESSAGE_BYTES
    max_frames: int = MAX_FRAMES
    wire_limits: WireLimits = DEFAULT_WIRE_LIMITS
    cluster: ClusterAddress | None = None
    cluster_options: ClusterOptions = field(default_factory=ClusterOptions)

    def __post_init__(self) -> None:
        check_listen(self.listen)


def check_listen(listen: str) -> None:
    """Raises InputError unless ``listen`` is ``HOST:PORT`` (port 0-65535) or ``unix:PATH``.

    gRPC itself takes a port beyond 65535 modulo 65536 and serves on that port.
    """
    if listen.startswith("unix:"):
        if listen == "unix:":
            raise InputError("--listen unix: needs the socket path, e.g. unix:/tmp/synthfx.sock")
        return
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or int(port) > MAX_PORT:
        raise InputError(
            f"--listen {listen!r}: expected HOST:PORT with a port 0-{MAX_PORT} "
            "(0: any free port) or unix:PATH"
        )


def is_local_address(listen: str) -> bool:
    """Whether ``listen`` only accepts connections from this machine."""
    if listen.startswith("unix:"):
        return True
    host = listen.rsplit(":", 1)[0]
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
