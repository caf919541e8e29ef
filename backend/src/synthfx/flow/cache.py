# SPDX-License-Identifier: Apache-2.0
"""Content-addressed cache of flow fields: each frame pair is computed once.

The key chains ``FLOW_CACHE_VERSION``, the estimator's fingerprint (method, parameters, weights
digest, library version) and a digest of each frame (``synthfx.io.digest.array_digest``: dtype,
shape and bytes), so a changed frame, method or estimator version never returns a stale flow. A
caller that already holds its frames' digests passes them, and the frames are not hashed again.
Entries are plain ``.npy`` (H, W, 2) float32 files written atomically; a damaged entry is
recomputed and replaced.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

import numpy as np

from synthfx.flow.base import FlowEstimator
from synthfx.io.atomic import atomic_path
from synthfx.io.digest import array_digest, new_digest
from synthfx.io.pruning import prune_least_recent

# Bump when the meaning of cached flows changes (convention, layout, key).
FLOW_CACHE_VERSION = 3  # 2: BLAKE3 keys; 3: keyed by the frames' digests


def flow_cache_key(fingerprint: str, frame_a: np.ndarray, frame_b: np.ndarray) -> str:
    """Hex digest identifying the flow of ``fingerprint`` from ``frame_a`` to ``frame_b``."""
    return flow_digest_key(fingerprint, array_digest(frame_a), array_digest(frame_b))


def flow_digest_key(fingerprint: str, digest_a: str, digest_b: str) -> str:
    """``flow_cache_key`` from the frames' digests (each names one frame exactly)."""
    digest = new_digest()
    digest.update(f"synthfx-flow-cache:v{FLOW_CACHE_VERSION}\n{fingerprint}\n".encode())
    for part in (digest_a, digest_b):
        encoded = part.encode()
        digest.update(f"{len(encoded)}:".encode())
        digest.update(encoded)
    return digest.hexdigest()


def cache_path(cache_dir: str | os.PathLike[str], key: str) -> Path:
    """Where the entry of ``key`` lives."""
    return Path(cache_dir) / f"flow-{key}.npy"


def _load(path: Path, shape: tuple[int, int, int]) -> np.ndarray | None:
    try:
        flow = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if flow.shape != shape or flow.dtype != np.float32:
        return None
    return flow


def cached_flow(
    estimator: FlowEstimator,
    frame_a: np.ndarray,
    frame_b: np.ndarray,
    cache_dir: str | os.PathLike[str],
    *,
    digests: tuple[str, str] | None = None,
) -> np.ndarray:
    """``estimator.compute(frame_a, frame_b)``, computed at most once per content.

    Args:
        estimator: Any flow estimator with ``fingerprint`` and ``compute``.
        frame_a, frame_b: Frames as passed to ``compute`` (hashed as given, unless ``digests``).
        cache_dir: Directory of the cache; created when missing.
        digests: Optional text naming exactly ``frame_a`` and ``frame_b`` as passed: their
            ``array_digest``, or a digest of what they were derived from tagged with how (two
            pairs of frames with the same digests must be the same frames).

    Returns:
        (H, W, 2) float32 flow from A to B.
    """
    if digests is None:
        key = flow_cache_key(estimator.fingerprint, frame_a, frame_b)
    else:
        key = flow_digest_key(estimator.fingerprint, *digests)
    path = cache_path(cache_dir, key)
    shape = (*frame_a.shape[:2], 2)
    if path.is_file():
        flow = _load(path, shape)
        if flow is not None:
            with suppress(OSError):
                os.utime(path)  # its last use, for prune_flow_cache
            return flow
    flow = np.ascontiguousarray(estimator.compute(frame_a, frame_b), dtype=np.float32)
    with atomic_path(path) as temporary, temporary.open("wb") as stream:
        np.save(stream, flow, allow_pickle=False)
    return flow


def prune_flow_cache(cache_dir: str | os.PathLike[str], limit_bytes: int) -> int:
    """Removes the least recently used entries until the cache holds at most ``limit_bytes``;
    returns the bytes it holds then. A reader that loses an entry this way recomputes it."""
    return prune_least_recent(Path(cache_dir).glob("flow-*.npy"), limit_bytes)
