# SPDX-License-Identifier: Apache-2.0
"""``synthfx serve``: the persistent backend the OpenFX plugin (or ``--backend``) talks to.

synthfx serve --listen 127.0.0.1:50151 --cache-dir ~/.cache/synthfx/service
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from synthfx.cli.cluster import add_cluster_options, cluster_of
from synthfx.cluster.options import ClusterOptions
from synthfx.errors import InputError
from synthfx.service.config import MIB, ServerConfig

_DEFAULTS = ServerConfig()


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the backend service (gRPC)",
        description="Run the synthfx backend service. Listens on loopback by default; a "
        "non-loopback address needs --token-file. Logs are JSON lines on stderr.",
    )
    parser.add_argument(
        "--listen",
        default=_DEFAULTS.listen,
        help="HOST:PORT (port 0: any free port) or unix:PATH (default %(default)s)",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=_DEFAULTS.cache_dir, help="rendered segments"
    )
    parser.add_argument(
        "--cache-limit-mb",
        type=int,
        default=_DEFAULTS.cache_limit_bytes // MIB,
        help="disk budget of the cache; least recently used segments go first",
    )
    parser.add_argument(
        "--frame-store-mb",
        type=int,
        default=_DEFAULTS.frame_store_bytes // MIB,
        help="memory for uploaded frames",
    )
    parser.add_argument(
        "--frame-disk-mb",
        type=int,
        default=_DEFAULTS.frame_disk_bytes // MIB,
        help="disk (CACHE_DIR/frames) for uploaded frames beyond --frame-store-mb; 0: none",
    )
    parser.add_argument("--token-file", type=Path, help="every call must carry this token")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain (with --tls-key)")
    parser.add_argument("--tls-key", type=Path, help="PEM private key")
    parser.add_argument("--models-dir", type=Path, help="where raft:NAME flow models live")
    parser.add_argument(
        "--read-root",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="let clients name image files below DIR instead of uploading them (repeatable; "
        "default: none). Anyone who can connect reads what this process can read there.",
    )
    parser.add_argument(
        "--compute-slots",
        type=int,
        default=_DEFAULTS.compute_slots,
        help="segments computed at once (default 1: the engine uses every core)",
    )
    parser.add_argument("--max-sessions", type=int, default=_DEFAULTS.max_sessions)
    add_cluster_options(
        parser,
        "compute the passes of the segments clients ask for as Ray tasks: ray:auto starts a "
        "local Ray, ray:HOST:PORT joins a cluster (--cache-dir on storage every node shares); "
        "frames equal this process's own",
    )
    parser.add_argument("--ready-file", type=Path, help="write the bound address here once up")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the other subcommands never pay for importing grpc.
    from synthfx.service import logs
    from synthfx.service.auth import read_token
    from synthfx.service.server import serve

    logs.configure(args.log_level)
    _check_sizes(args)
    cluster = cluster_of(args)
    config = ServerConfig(
        listen=args.listen,
        cache_dir=_writable_directory(args.cache_dir.expanduser()),
        cache_limit_bytes=args.cache_limit_mb * MIB,
        frame_store_bytes=args.frame_store_mb * MIB,
        frame_disk_bytes=args.frame_disk_mb * MIB,
        token=read_token(args.token_file) if args.token_file else None,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        models_dir=args.models_dir,
        read_roots=tuple(root.expanduser() for root in args.read_root),
        compute_slots=max(1, args.compute_slots),
        max_sessions=args.max_sessions,
        cluster=None if cluster is None else cluster[0],
        cluster_options=ClusterOptions() if cluster is None else cluster[1],
    )
    serve(config, args.ready_file)
    return 0


def _check_sizes(args: argparse.Namespace) -> None:
    for option, value in (
        ("--cache-limit-mb", args.cache_limit_mb),
        ("--frame-store-mb", args.frame_store_mb),
        ("--frame-disk-mb", args.frame_disk_mb),
    ):
        if value < 0:
            raise InputError(f"{option} must be >= 0, got {value}")
    if args.max_sessions < 1:
        raise InputError(f"--max-sessions must be >= 1, got {args.max_sessions}")


def _writable_directory(path: Path) -> Path:
    """``--cache-dir``, created if missing; refused now rather than at the first request."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--cache-dir {path} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--cache-dir {path}: cannot create {exc.filename}: {exc.strerror}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"--cache-dir {path} is not writable")
    return path
