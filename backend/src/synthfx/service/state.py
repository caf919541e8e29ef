# SPDX-License-Identifier: Apache-2.0
"""What one ``synthfx serve`` process holds, handed to each rpc's module."""

from __future__ import annotations

from dataclasses import dataclass

from synthfx.service.calls import Calls
from synthfx.service.cluster import SegmentCluster
from synthfx.service.config import ServerConfig
from synthfx.service.deflicker_cache import DEFLICKER_SHARE, DeflickerCache
from synthfx.service.files import ReadRoots
from synthfx.service.frame_store import FrameStore
from synthfx.service.segment_cache import SegmentCache
from synthfx.service.sessions import SessionRegistry

# Memory of dropped frames kept for new ones: at most a quarter of the frame store.
_REUSE_MAX_BYTES = 1 << 30


@dataclass
class ServiceState:
    config: ServerConfig
    store: FrameStore
    files: ReadRoots
    sessions: SessionRegistry
    cache: SegmentCache
    deflicker_cache: DeflickerCache
    calls: Calls
    cluster: SegmentCluster | None = None  # connected by the server while it runs

    @classmethod
    def of(cls, config: ServerConfig) -> ServiceState:
        reuse = min(config.frame_store_bytes // 4, _REUSE_MAX_BYTES)
        store = FrameStore(
            config.frame_store_bytes, config.cache_dir / "frames", config.frame_disk_bytes, reuse
        )
        sessions = SessionRegistry(
            config.max_sessions, config.session_idle_timeout_s, store.release
        )
        cluster = None
        if config.cluster is not None:
            cluster = SegmentCluster(config.cluster, config.cluster_options)
        deflicker_bytes = int(config.cache_limit_bytes * DEFLICKER_SHARE)
        cache = SegmentCache(
            config.cache_dir,
            config.cache_limit_bytes - deflicker_bytes,
            config.compute_slots,
            cluster,
        )
        deflicker_cache = DeflickerCache(
            config.cache_dir / "deflicker", deflicker_bytes, cache.compute_slot
        )
        calls = Calls(config.workers, sessions)
        return cls(
            config, store, ReadRoots(config.read_roots), sessions, cache, deflicker_cache, calls,
            cluster,
        )  # fmt: skip
