# SPDX-License-Identifier: Apache-2.0
"""The OFX client's content hash, its own BLAKE3 in C++ (built as synthfx_blake3_sum), against
Python's blake3 package: lengths on every edge of the chunk tree, each kernel, several threads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import blake3
import numpy as np
import pytest
from ofx_testing import BUILD

SUM = BUILD / "ofx_plugin" / "synthfx_blake3_sum"
pytestmark = pytest.mark.skipif(not SUM.is_file(), reason=f"{SUM} not built: `make cpp-test`")

# The published BLAKE3 test vector of the empty input.
EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
# 64-byte blocks, 1024-byte chunks: around one block, one chunk, 2, 3 and 8 chunks, 9 and 31
# chunks (uneven trees), 64 chunks + 1 byte, 1 MiB; the last two are hashed on threads.
LENGTHS = (0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 8191, 8192, 8193, 9216,
           31744, 65537, 1 << 20, (8 << 20) + 1234, (33 << 20) + 1)  # fmt: skip
KERNELS = ("best", "avx512", "avx2", "generic", "scalar")  # one the CPU lacks falls back
THREADS = (0, 1, 2, 3, 8)  # 0: the client's default


def _sums(paths: list[Path], *args: str) -> list[str]:
    done = subprocess.run(
        [str(SUM), *args, *map(str, paths)], capture_output=True, text=True, check=True
    )
    return [line.split("  ", 1)[0] for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    """A file of bytes i % 251 and one of random bytes per length -> Python's hash of it."""
    directory = tmp_path_factory.mktemp("content_hash")
    rng = np.random.default_rng(251)
    hashes = {}
    for length in LENGTHS:
        pattern = (np.arange(length) % 251).astype(np.uint8).tobytes()
        for name, data in (("pattern", pattern), ("random", rng.bytes(length))):
            path = directory / f"{name}-{length}"
            path.write_bytes(data)
            hashes[path] = blake3.blake3(data).hexdigest()
    return hashes


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_matches_python(expected: dict[Path, str], kernel: str, threads: int) -> None:
    got = _sums(list(expected), "--kernel", kernel, "--threads", str(threads))
    names = [path.name for path in expected]
    assert dict(zip(names, got, strict=True)) == dict(zip(names, expected.values(), strict=True))


def test_empty_input_vector(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    assert blake3.blake3(b"").hexdigest() == EMPTY
    assert _sums([tmp_path / "empty"]) == [EMPTY]


@pytest.mark.parametrize("position", [0, (4 << 20) + 5, -1])
def test_flipped_byte_changes_hash(tmp_path: Path, position: int) -> None:
    data = bytearray(np.random.default_rng(7).bytes((8 << 20) + 1234))
    path = tmp_path / "frame"
    path.write_bytes(data)
    [before] = _sums([path])
    data[position] ^= 0x01
    path.write_bytes(data)
    [after] = _sums([path])
    assert after != before
    assert after == blake3.blake3(data).hexdigest()
