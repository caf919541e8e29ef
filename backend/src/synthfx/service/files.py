# SPDX-License-Identifier: Apache-2.0
"""Frames the server reads from its own file system (``FrameImage.path``), only below its roots.

A client that shares the backend's file system (the OpenFX plugin in a single-input context,
whose painted keyframes are files) names a file instead of uploading it. The server then reads
anything its user can read, so reads are confined to the directories ``synthfx serve`` was
given with ``--read-root``: a path is resolved to its real path (every symlink and ``..``
followed) and must lie below the real path of a root. With no roots, every path is refused.

What was read is addressed like an upload: the content hash of its pixels as a float32 top-down
payload, so the segment cache key stays content-based (an edited file is a new job, a file
equal to an uploaded frame is the same job).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from synthfx.errors import InputError
from synthfx.io import read_image
from synthfx.io.sequences import FrameSequence
from synthfx.service.status import StatusError
from synthfx.transport.wire import content_hash, describe, encode
from synthfx.v1 import synthfx_pb2 as pb

# Decoded files kept for repeated renders of a segment (each Render of its frames names the
# same keyframes); bounded in bytes, least recently used dropped first.
_MEMO_BYTES = 512 << 20
_MAX_PATH_CHARS = 4096


class ReadRoots:
    """Directories whose files clients may name; ``read`` resolves, checks and decodes.

    Args:
        roots: directories (must exist); empty: no path is ever read.

    Raises:
        InputError: a root that is not a directory.
    """

    def __init__(self, roots: Iterable[Path]) -> None:
        resolved = []
        for root in roots:
            real = Path(os.path.realpath(root))
            if not real.is_dir():
                raise InputError(f"--read-root {root}: not a directory")
            resolved.append(real)
        self.roots: tuple[Path, ...] = tuple(resolved)
        self._memo: OrderedDict[tuple, tuple[pb.ImageDesc, str, bytes]] = OrderedDict()
        self._memo_bytes = 0
        self._lock = threading.Lock()

    def resolve(self, path: str, frame: int, what: str) -> Path:
        """The real path of ``path`` (frame placeholder filled in) when it is below a root.

        Raises:
            StatusError: PERMISSION_DENIED (no roots, or outside them), NOT_FOUND (no file).
            InputError: a relative path, NUL bytes, a bad pattern.
        """
        if not self.roots:
            raise StatusError.path_not_allowed(
                f"{what}: this backend reads no files (path {path!r:.200}); start it with "
                "`synthfx serve --read-root DIR` (repeatable) to allow reading below DIR",
            )
        if len(path) > _MAX_PATH_CHARS or "\0" in path:
            raise InputError(f"{what}: path {path!r:.200} is not a usable file path")
        if not os.path.isabs(path):
            raise InputError(f"{what}: path {path!r:.200} must be absolute")
        named = FrameSequence(path).path(frame)
        real = Path(os.path.realpath(named))
        if not any(real.is_relative_to(root) for root in self.roots):
            raise StatusError.path_not_allowed(
                f"{what}: {named} resolves to {real}, outside this backend's read roots "
                f"({', '.join(map(str, self.roots))})",
            )
        if not real.is_file():
            raise StatusError.not_found(f"{what}: image file not found: {named}")
        return real

    def read(self, path: str, frame: int, what: str) -> tuple[pb.ImageDesc, str, bytes]:
        """Description, content hash and float32 top-down payload of the file ``path`` names.

        Raises:
            StatusError: see ``resolve``.
            InputError: an unreadable image.
        """
        real = self.resolve(path, frame, what)
        # Reading the resolved path (not the name given) keeps a symlink swapped in after the
        # check from leading the read elsewhere, short of a directory swap below a root.
        stat = real.stat()
        identity = (str(real), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._memo.get(identity)
            if known is not None:
                self._memo.move_to_end(identity)
                return known
        pixels = read_image(real).pixels
        desc = describe(pixels)
        payload = encode(pixels, desc)
        entry = (desc, content_hash(payload), payload)
        with self._lock:
            if identity not in self._memo and len(payload) <= _MEMO_BYTES:
                self._memo[identity] = entry
                self._memo_bytes += len(payload)
                while self._memo_bytes > _MEMO_BYTES:
                    _, (_, _, dropped) = self._memo.popitem(last=False)
                    self._memo_bytes -= len(dropped)
        return entry
