# SPDX-License-Identifier: Apache-2.0
"""Key sheets: many keyframes tiled into one image, stylized in one pass, cut back into keys.

Stylizing keys one at a time lets their colours and strokes drift apart, so the propagated shot
pulses at every key; a sheet stylized once gives every key the same look. ``pack_sheet`` tiles
the chosen plate frames (optionally cropped to a matte), ``unpack_sheet`` undoes it on the
styled sheet, and the layout JSON records where each frame went.
"""

from __future__ import annotations

from synthfx.sheet.keys import auto_keys, choose_keys, parse_key_list
from synthfx.sheet.layout import (
    LAYOUT_VERSION,
    Box,
    Cell,
    SheetLayout,
    layout_from_dict,
    layout_text,
    layout_to_dict,
    parse_layout,
    read_layout,
    write_layout,
)
from synthfx.sheet.options import SheetOptions
from synthfx.sheet.pack import build_sheet, matte_box, pack_sheet, plan_layout
from synthfx.sheet.unpack import check_sheet, read_sheet_keys, unpack_sheet

__all__ = [
    "LAYOUT_VERSION",
    "Box",
    "Cell",
    "SheetLayout",
    "SheetOptions",
    "auto_keys",
    "build_sheet",
    "check_sheet",
    "choose_keys",
    "layout_from_dict",
    "layout_text",
    "layout_to_dict",
    "matte_box",
    "pack_sheet",
    "parse_key_list",
    "parse_layout",
    "plan_layout",
    "read_layout",
    "read_sheet_keys",
    "unpack_sheet",
    "write_layout",
]
