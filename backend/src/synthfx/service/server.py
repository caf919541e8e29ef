# SPDX-License-Identifier: Apache-2.0
"""The gRPC server of ``synthfx serve``: servicer, health service, auth, limits, shutdown."""

from __future__ import annotations

import logging
import os
import signal
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from synthfx.errors import InputError
from synthfx.io.atomic import atomic_path
from synthfx.service.allocator import tune_allocator
from synthfx.service.auth import TokenInterceptor
from synthfx.service.config import HTTP2_OPTIONS, ServerConfig, is_local_address
from synthfx.service.messages import add_servicer
from synthfx.service.servicer import SynthfxServicer
from synthfx.service.unix_socket import claim_socket_path
from synthfx.v1 import synthfx_pb2 as pb

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Synthfx"].full_name
# Seconds running calls get to finish when the server is asked to stop.
SHUTDOWN_GRACE_S = 5.0

log = logging.getLogger("synthfx.service")


class Server:
    """A started server; ``address`` is where it listens (the port resolved when 0 was asked)."""

    def __init__(self, config: ServerConfig) -> None:
        if not is_local_address(config.listen) and config.token is None:
            raise InputError(
                f"--listen {config.listen} accepts remote connections: give --token-file "
                "(and preferably --tls-cert/--tls-key)"
            )
        if (config.tls_cert is None) != (config.tls_key is None):
            raise InputError("--tls-cert and --tls-key go together")
        if config.tls_cert is not None and config.tls_key is not None:
            _check_tls_pair(config.tls_cert, config.tls_key)
        self._socket_lock = (
            claim_socket_path(Path(config.listen.removeprefix("unix:")))
            if config.listen.startswith("unix:")
            else None
        )
        self.config = config
        self.servicer = SynthfxServicer(config)
        # Ray forks its head processes: before gRPC's core exists, whose fork handlers can hang
        # a child (seen: no GCS ever started, ray.init waiting for it).
        cluster = self.servicer.state.cluster
        if cluster is not None:
            cluster.start()
        try:
            self._create_grpc(config)
        except BaseException:
            if cluster is not None:
                cluster.stop()
            raise

    def _create_grpc(self, config: ServerConfig) -> None:
        options = [
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            # Two servers must never share a port by accident.
            ("grpc.so_reuseport", 0),
            *HTTP2_OPTIONS,
        ]
        interceptors: list[grpc.ServerInterceptor] = (
            [TokenInterceptor(config.token)] if config.token else []
        )
        self._grpc = grpc.server(
            ThreadPoolExecutor(config.workers, thread_name_prefix="synthfx-grpc"),
            interceptors=interceptors,
            options=options,
            maximum_concurrent_rpcs=config.max_concurrent_calls,
        )
        add_servicer(self.servicer, self._grpc)
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._grpc)
        port = self._bind(config)
        self.address = _resolved(config.listen, port)

    def _bind(self, config: ServerConfig) -> int:
        try:
            if config.tls_cert is not None and config.tls_key is not None:
                credentials = grpc.ssl_server_credentials(
                    [(_read(config.tls_key), _read(config.tls_cert))]
                )
                return self._grpc.add_secure_port(config.listen, credentials)
            return self._grpc.add_insecure_port(config.listen)
        except RuntimeError as exc:
            raise InputError(f"cannot listen on {config.listen}: {exc}") from None

    def start(self) -> None:
        self.servicer.remove_orphaned_segments()
        cluster = self.servicer.state.cluster
        self._grpc.start()
        for name in ("", SERVICE_NAME):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info(
            "serving",
            extra={
                "fields": {
                    "address": self.address,
                    "cache": str(self.config.cache_dir),
                    "auth": self.config.token is not None,
                    "tls": self.config.tls_cert is not None,
                    "cluster": None if cluster is None else str(cluster.address),
                }
            },
        )

    def stop(self, grace: float = SHUTDOWN_GRACE_S) -> None:
        self.health.enter_graceful_shutdown()
        self._grpc.stop(grace).wait()
        self.servicer.shutdown()
        if self.servicer.state.cluster is not None:
            self.servicer.state.cluster.stop()
        if self._socket_lock is not None:
            os.close(self._socket_lock)
            self._socket_lock = None
        log.info("stopped", extra={"fields": {"address": self.address}})

    def wait(self) -> None:
        self._grpc.wait_for_termination()


def _check_tls_pair(cert: Path, key: Path) -> None:
    """Raises InputError naming the files unless they hold a PEM chain and its private key.

    gRPC itself only reports a bad pair as a failure to bind the address.
    """
    _read(cert), _read(key)
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise InputError(
            f"--tls-cert {cert} / --tls-key {key}: not a PEM certificate chain and its "
            f"private key ({exc.reason or exc})"
        ) from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _resolved(listen: str, port: int) -> str:
    if port == 0:
        raise InputError(f"cannot listen on {listen}")
    if listen.startswith("unix:"):
        return listen
    host = listen.rsplit(":", 1)[0]
    return f"{host}:{port}"


def serve(config: ServerConfig, ready_file: Path | None = None) -> None:
    """Runs a server until SIGINT or SIGTERM; writes its address to ``ready_file`` once up."""
    tune_allocator()
    server = Server(config)
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    if ready_file is not None:
        with atomic_path(ready_file) as temporary:
            temporary.write_text(server.address + "\n")
    stopping.wait()
    server.stop()
