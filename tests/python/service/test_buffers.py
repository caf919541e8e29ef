# SPDX-License-Identifier: Apache-2.0
"""Payload buffers and the background hasher used for frames in transit."""

from __future__ import annotations

import hashlib

import numpy as np

from synthfx.client.buffers import BackgroundHasher, fresh_buffer


def test_fresh_buffer_small_and_large_are_zeroed_and_writable() -> None:
    for size in (0, 10, 5 << 20):
        buffer = fresh_buffer(size)
        assert len(buffer) == size and not buffer.readonly
        assert not any(buffer[: min(size, 4096)])
        data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
        buffer[:] = data
        assert bytes(buffer) == data
        assert np.frombuffer(buffer, np.uint8).sum() == np.frombuffer(data, np.uint8).sum()


def test_background_hasher_equals_sha256_of_the_pieces() -> None:
    rng = np.random.default_rng(1)
    pieces = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1, 4096, 1 << 20, 7)]
    hasher = BackgroundHasher()
    for piece in pieces:
        hasher.update(piece)
    assert hasher.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()
    empty = BackgroundHasher()
    assert empty.hexdigest() == hashlib.sha256(b"").hexdigest()


def test_background_hasher_close_without_digest_stops_its_thread() -> None:
    hasher = BackgroundHasher()
    hasher.update(b"abandoned upload")
    hasher.close()
    assert not hasher._thread.is_alive()
    hasher.close()  # twice is harmless
