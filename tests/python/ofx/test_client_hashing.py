# SPDX-License-Identifier: Apache-2.0
"""The plugin's client hashes each image once per call, and never again to upload it."""

from __future__ import annotations

import subprocess

import pytest
from ofx_testing import BUILD, Backend

STATUS_CLIENT = BUILD / "tests" / "ofx" / "synthfx_status_client"
CLIENT_LIBRARY = BUILD / "ofx" / "synthfx.ofx.bundle" / "Contents" / "Libraries"
FLOAT_BYTES = 4


def test_each_image_hashed_once_per_call(backend: Backend) -> None:
    if not STATUS_CLIENT.is_file():
        pytest.fail(f"{STATUS_CLIENT} missing: run `make cpp-test` first")
    done = subprocess.run(
        [str(STATUS_CLIENT), str(CLIENT_LIBRARY / "libsynthfx_client.so"), backend.address,
         "hashing"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    status, _, message = done.stdout.strip().partition("\t")
    assert status == "Ok", message
    # Two calls, each naming a 16x16 RGB style four times (style, both guides' source, the
    # first guide's target) and another 16x16 RGB target: each distinct image once per call,
    # none again for its upload.
    per_call = 2 * 16 * 16 * 3 * FLOAT_BYTES
    assert message == f"bytes_hashed={2 * per_call}"
