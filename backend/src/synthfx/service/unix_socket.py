# SPDX-License-Identifier: Apache-2.0
"""One live server per ``unix:PATH``.

gRPC replaces an existing socket file when it binds, so a second ``synthfx serve`` on the same
path (two hosts starting a backend at once) would take the path over and leave the first one
running, unreachable, forever. A server therefore holds an exclusive lock on ``PATH.lock`` for
its whole life (the kernel drops it when the process dies, kill -9 included), and only the
holder removes a stale socket file and binds.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from synthfx.errors import InputError


def claim_socket_path(path: Path) -> int:
    """Locks ``path`` for this process and clears a stale socket; returns the lock's fd.

    Keep the fd open while serving.

    Raises:
        InputError: another live server holds the path, the lock cannot be created, or
            ``path`` exists and is not a socket.
    """
    what = f"--listen unix:{path}"
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise InputError(f"{what}: cannot create {lock_path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise InputError(
                f"{what}: another synthfx serve (pid {owner}) is serving this socket"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        if path.is_socket():
            path.unlink()  # left by a server that died
        elif path.exists() or path.is_symlink():
            raise InputError(f"{what}: {path} exists and is not a socket")
    except BaseException:
        os.close(fd)
        raise
    return fd
