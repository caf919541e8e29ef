# SPDX-License-Identifier: Apache-2.0
"""The bundled demo: a Big Buck Bunny excerpt stylized from painterly keyframes."""

from __future__ import annotations

from synthfx.demo.clip import bundled_clip_path, extract_shot
from synthfx.demo.previews import contact_sheet, write_gif
from synthfx.demo.run import DemoReport, run_demo

__all__ = [
    "DemoReport",
    "bundled_clip_path",
    "contact_sheet",
    "extract_shot",
    "run_demo",
    "write_gif",
]
