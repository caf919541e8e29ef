# SPDX-License-Identifier: Apache-2.0
"""MLT for the OFX tests: built once from ``../shared/third_party/mlt`` (unmodified, with the
build script beside it) into a cache outside the clone that later runs reuse."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

from ofx_testing import REPO_ROOT

THIRD_PARTY = Path(
    os.environ.get("SYNTHFX_THIRD_PARTY", REPO_ROOT.parent / "shared" / "third_party")
)
MLT_SOURCE = THIRD_PARTY / "mlt"
MLT_BUILD_SCRIPT = THIRD_PARTY / "mlt-build.sh"
# Written last by a build that finished: a folder without it is a build that was cut short.
_BUILT_MARK = ".synthfx-built"
# What the build script's modules need (setup.sh installs them); checked first, so a missing
# one is named instead of failing minutes into the build.
_PKG_CONFIG_MODULES = ("libavformat", "libswscale", "libavfilter", "libavutil",
                       "libswresample", "glib-2.0", "expat")  # fmt: skip
_BUILD_TIMEOUT_S = 3600


def mlt_version() -> str:
    """The source's version, from its top-level CMakeLists.txt (``project(MLT VERSION x.y.z``)."""
    text = (MLT_SOURCE / "CMakeLists.txt").read_text()
    found = re.search(r"project\(\s*MLT\s+VERSION\s+([0-9.]+)", text)
    if not found:
        raise RuntimeError(f"no MLT version in {MLT_SOURCE / 'CMakeLists.txt'}")
    return found.group(1)


def mlt_prefix() -> Path:
    """Where this source's build lives: $SYNTHFX_MLT_CACHE, else the user's cache folder."""
    cache = os.environ.get("SYNTHFX_MLT_CACHE")
    if cache:
        root = Path(cache)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "synthfx"
    return root / f"mlt-{mlt_version()}"


def built_mlt() -> Path:
    """The prefix of a finished MLT build (``bin/melt``), building it first when there is none.

    Raises:
        RuntimeError: a build dependency missing (names setup.sh), or the build failed (the end
            of its log).
    """
    prefix = mlt_prefix()
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with open(prefix.with_name(prefix.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build when several test runs start at once
        if (prefix / _BUILT_MARK).is_file() and (prefix / "bin" / "melt").is_file():
            return prefix
        missing = [m for m in _PKG_CONFIG_MODULES
                   if subprocess.run(["pkg-config", "--exists", m]).returncode != 0]  # fmt: skip
        if missing or not shutil.which("ninja") or not shutil.which("cmake"):
            raise RuntimeError(
                f"cannot build MLT: missing {', '.join(missing) or 'cmake/ninja'}; run ./setup.sh "
                "(it installs MLT's build dependencies)"
            )
        shutil.rmtree(prefix, ignore_errors=True)
        done = subprocess.run(["sh", str(MLT_BUILD_SCRIPT), str(prefix)], capture_output=True,
                              text=True, timeout=_BUILD_TIMEOUT_S)  # fmt: skip
        if done.returncode != 0:
            log = (done.stdout + done.stderr)[-4000:]
            raise RuntimeError(f"{MLT_BUILD_SCRIPT} {prefix} failed:\n{log}")
        (prefix / _BUILT_MARK).write_text(mlt_version() + "\n")
    return prefix


def run_melt(prefix: Path, plugin_dir: Path, *args: str, timeout: float = 300):
    """Unmodified ``melt`` with only ``plugin_dir`` added to the OFX plug-in path."""
    env = {**os.environ, "OFX_PLUGIN_PATH": str(plugin_dir),
           "LD_LIBRARY_PATH": str(prefix / "lib")}  # fmt: skip
    return subprocess.run([str(prefix / "bin" / "melt"), *args], capture_output=True, text=True,
                          timeout=timeout, env=env)  # fmt: skip
