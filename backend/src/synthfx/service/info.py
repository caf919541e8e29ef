# SPDX-License-Identifier: Apache-2.0
"""``GetInfo``: versions, devices, limits, load, cache use and the options schema."""

from __future__ import annotations

import os
import socket

from synthfx import __version__
from synthfx.engine import cuda_available, engine_version
from synthfx.errors import InputError
from synthfx.service.params import options_schema
from synthfx.service.state import ServiceState
from synthfx.transport.shm import Segment
from synthfx.v1 import synthfx_pb2 as pb

_PROBE_TOKEN_BYTES = 256


def get_info(state: ServiceState, request: pb.GetInfoRequest) -> pb.GetInfoResponse:
    config, store, cache = state.config, state.store, state.cache
    frames, frame_bytes = store.usage()
    used, segments, waiting = cache.usage()
    cuda_ok, cuda_reason = cuda_available()
    limits = config.wire_limits
    response = pb.GetInfoResponse(
        backend_version=__version__,
        protocol_major=pb.PROTOCOL_VERSION_MAJOR,
        protocol_minor=pb.PROTOCOL_VERSION_MINOR,
        engine_version=engine_version(),
        devices=[
            pb.Device(kind="cpu", name=f"{os.cpu_count()} cores", available=True),
            pb.Device(kind="cuda", name="cuda", available=cuda_ok, reason=cuda_reason),
        ],
        limits=pb.Limits(
            max_message_bytes=config.max_message_bytes,
            chunk_bytes=config.chunk_bytes,
            max_width=limits.max_width,
            max_height=limits.max_height,
            max_channels=limits.max_channels,
            max_frames=config.max_frames,
            max_sessions=config.max_sessions,
            frame_store_bytes=config.frame_store_bytes,
            cache_limit_bytes=config.cache_limit_bytes,
        ),
        load=pb.Load(
            sessions=state.sessions.count(),
            active_calls=state.calls.active,
            queued_calls=waiting,
            frames_stored=frames,
            frame_store_used_bytes=frame_bytes,
            frame_store_disk_bytes=store.disk_usage(),
            reusable_buffer_bytes=store.reusable_bytes(),
        ),
        cache=pb.CacheUse(
            used_bytes=used + state.deflicker_cache.usage(),
            limit_bytes=config.cache_limit_bytes,
            jobs=segments,
            hits=cache.stats.hits + state.deflicker_cache.stats.hits,
            misses=cache.stats.misses + state.deflicker_cache.stats.misses,
            evictions=cache.stats.evictions,
        ),
        auth_required=config.token is not None,
        host=socket.gethostname(),
        options=options_schema(),
    )
    if request.HasField("shm_probe"):
        response.shm_probe_ok, response.shm_probe_error = _probe(request)
    return response


def _probe(request: pb.GetInfoRequest) -> tuple[bool, str]:
    """Whether the client's probe segment holds its token (shared memory works both ways)."""
    token = request.probe_token.encode()
    if not token or len(token) > _PROBE_TOKEN_BYTES:
        return False, f"probe_token must have 1 to {_PROBE_TOKEN_BYTES} bytes"
    handle = request.shm_probe
    try:
        with Segment.open(handle.name, handle.offset, len(token), "shm_probe") as segment:
            ok = bytes(segment.buffer) == token
    except InputError as exc:
        return False, str(exc)
    return ok, "" if ok else "the probe segment does not hold the token"
