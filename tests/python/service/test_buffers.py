# SPDX-License-Identifier: Apache-2.0
"""Payload buffers and the background hasher used for frames in transit."""

from __future__ import annotations

import numpy as np

from synthfx.transport.buffers import BackgroundHasher, fresh_buffer
from synthfx.transport.wire import content_hash, new_content_digest


def test_fresh_buffer_small_and_large_are_zeroed_and_writable() -> None:
    for size in (0, 10, 5 << 20):
        buffer = fresh_buffer(size)
        assert len(buffer) == size and not buffer.readonly
        assert not any(buffer[: min(size, 4096)])
        data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
        buffer[:] = data
        assert bytes(buffer) == data
        assert np.frombuffer(buffer, np.uint8).sum() == np.frombuffer(data, np.uint8).sum()


def test_content_hash_is_blake3() -> None:
    # The published BLAKE3 test vectors (inputs of 0 and 1 bytes): protocol 2's content hash.
    assert content_hash(b"") == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    assert content_hash(b"\0") == "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"
    frame = np.arange(64, dtype="<f4").reshape(4, 4, 4)
    assert content_hash(frame) == content_hash(frame.tobytes()) != content_hash(frame[::-1].copy())
    large = np.random.default_rng(2).integers(0, 256, (9 << 20) + 5, dtype=np.uint8)
    one_thread = new_content_digest()
    one_thread.update(large)
    assert content_hash(large) == one_thread.hexdigest()  # hashed on all cores: the same


def test_background_hasher_equals_the_content_hash_of_the_pieces() -> None:
    rng = np.random.default_rng(1)
    pieces = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1, 4096, 1 << 20, 7)]
    hasher = BackgroundHasher()
    for piece in pieces:
        hasher.update(piece)
    assert hasher.hexdigest() == content_hash(b"".join(pieces))
    empty = BackgroundHasher()
    assert empty.hexdigest() == content_hash(b"")


def test_background_hasher_close_without_digest_stops_its_thread() -> None:
    hasher = BackgroundHasher()
    hasher.update(b"abandoned upload")
    hasher.close()
    assert not hasher._thread.is_alive()
    hasher.close()  # twice is harmless
