# SPDX-License-Identifier: Apache-2.0
"""Atomic file replacement: a reader never sees a half-written file.

Writers produce the file under a hidden temporary name in the destination's own directory
(``os.replace`` is only atomic within one filesystem) and rename it over the destination once
complete. A job killed mid-write leaves at most a stray ``.name.tmp-XXXX.ext`` file behind, never
a truncated frame under the real name. This protects against process death, not power loss (no
fsync), which is the failure that matters for render farms re-running killed tasks.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """A unique hidden name next to ``path`` that keeps its extension.

    The extension is kept because some writers (OpenImageIO plugins, ``np.save``) look at it.
    The leading dot keeps the file out of frame-sequence scans.
    """
    return path.with_name(f".{path.stem}.tmp-{secrets.token_hex(6)}{path.suffix}")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path to write; on success it replaces ``path``, on error it is removed.

    Args:
        path: Final destination. Its parent directory is created if missing.

    Yields:
        The temporary path the caller must write completely before the block ends.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(final)
    try:
        yield temporary
        os.replace(temporary, final)
    except BaseException:
        with suppress(FileNotFoundError):
            temporary.unlink()
        raise
