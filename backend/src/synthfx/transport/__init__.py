# SPDX-License-Identifier: Apache-2.0
"""How frames cross between processes, for the server and the Python client alike.

``wire``: image headers, payload encoding and content hashes; ``chunk_wire``: the chunked
stream messages; ``shm``: same-host shared-memory segments; ``buffers``: copies and hashing
overlapped with them. ``synthfx.service`` and ``synthfx.client`` both depend on this package,
never on each other.
"""
