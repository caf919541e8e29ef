# SPDX-License-Identifier: Apache-2.0
"""synthfx: example-based video stylization (Ebsynth-style), float end to end."""

from __future__ import annotations

__version__ = "0.1.0"
