# SPDX-License-Identifier: Apache-2.0
"""``synthfx sheet``: tile keyframes into one sheet to stylize in one pass, and cut it back.

synthfx sheet pack --frames plate/p.####.exr --range 1001-1100 --grid 3 --out sheet.exr
    (paint or generate over sheet.exr, save it as styled.png)
synthfx sheet unpack --sheet styled.png --layout sheet.json --out keys/k.####.exr
synthfx stylize --frames plate/p.####.exr --sheet styled.png --layout sheet.json ...
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from synthfx.errors import InputError
from synthfx.io import FrameRange, FrameSequence, SequenceSource, check_output, open_frames
from synthfx.io.images import file_format, write_image
from synthfx.sheet import SheetOptions, build_sheet, read_sheet_keys, write_layout
from synthfx.sheet.options import DEFAULT_MARGIN

_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "sheet",
        help="tile keyframes into one sheet and cut a styled sheet back into keys",
        description="Key sheets: stylize many keyframes consistently as one image. Pack the "
        "chosen plate frames into a sheet, stylize the sheet anywhere, then unpack it into "
        "keyframes at the plate's size (or give it to stylize --sheet).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    pack = actions.add_parser(
        "pack",
        help="tile plate frames into a sheet plus a JSON layout",
        description="Tile the key frames of a shot into one sheet image and write its layout "
        "(SHEET.json beside it) that unpack and stylize --sheet read.",
    )
    pack.add_argument(
        "--frames", required=True, help="plate frame pattern (p.####.exr) or a video file"
    )
    pack.add_argument("--range", dest="frame_range", help="frames A-B (default: all found)")
    pack.add_argument("--grid", type=int, help="N: an N x N sheet (columns with a --keys list)")
    pack.add_argument(
        "--keys",
        default="auto",
        help="auto: N x N frames evenly spaced, first and last included; or a list 1001,1040",
    )
    pack.add_argument("--matte", help="matte frame pattern (1 channel, or alpha)")
    pack.add_argument(
        "--crop-to-matte",
        action="store_true",
        help="crop each key to its matte's bounding box plus --margin",
    )
    pack.add_argument(
        "--margin",
        type=int,
        default=DEFAULT_MARGIN,
        metavar="PX",
        help=f"pixels kept around the matte's box (default {DEFAULT_MARGIN})",
    )
    pack.add_argument(
        "--cell-size",
        metavar="WxH",
        help="size of one cell; crops are scaled alike to fit and letterboxed (default: the "
        "plate's size, or the largest crop: no resampling)",
    )
    pack.add_argument("--out", required=True, help="the sheet image (sheet.exr)")
    pack.add_argument("--layout", help="the layout file (default: the sheet's name with .json)")
    pack.add_argument("--dtype", help="sample type (default: float where the format has it)")
    pack.add_argument("--json", action="store_true", help="print a JSON summary")
    pack.set_defaults(run=run_pack)

    unpack = actions.add_parser(
        "unpack",
        help="cut a styled sheet into keyframes at the plate's size",
        description="Cut each cell of a styled sheet, undo its scale and crop, and write one "
        "keyframe per cell named by its frame number. Pixels outside a crop are colour 0 and "
        "alpha 0 (nothing painted there).",
    )
    unpack.add_argument("--sheet", required=True, help="the styled sheet image")
    unpack.add_argument("--layout", required=True, help="the layout pack wrote (sheet.json)")
    unpack.add_argument("--out", required=True, help="keyframe pattern (keys/k.####.exr)")
    unpack.add_argument("--dtype", help="sample type (default: float where the format has it)")
    unpack.add_argument("--json", action="store_true", help="print a JSON summary")
    unpack.set_defaults(run=run_unpack)


def parse_size(text: str) -> tuple[int, int]:
    """``"640x360"`` -> (640, 360).

    Raises:
        InputError: not WIDTHxHEIGHT of positive integers.
    """
    match = _SIZE.match(text)
    if match is None or 0 in (int(match.group(1)), int(match.group(2))):
        raise InputError(f"--cell-size {text!r}: expected WIDTHxHEIGHT, e.g. 640x360")
    return int(match.group(1)), int(match.group(2))


def _storage(path: str, dtype: str | None) -> str | None:
    """Float where the format stores it, so a sheet or key is never quantised by default."""
    if dtype is not None:
        return dtype
    return "float" if "float" in file_format(path).dtypes else None


def run_pack(args: argparse.Namespace) -> int:
    if args.crop_to_matte and not args.matte:
        raise InputError("--crop-to-matte needs --matte MATTE.####.exr")
    if args.matte and not args.crop_to_matte:
        raise InputError("--matte is only used to crop: add --crop-to-matte")
    cell_width, cell_height = parse_size(args.cell_size) if args.cell_size else (0, 0)
    options = SheetOptions(
        grid=args.grid, keys=args.keys, crop_to_matte=args.crop_to_matte, margin=args.margin,
        cell_width=cell_width, cell_height=cell_height,
    )  # fmt: skip
    frame_range = FrameRange.parse(args.frame_range) if args.frame_range else None
    plate = open_frames(args.frames, frame_range)
    matte = None
    try:
        matte = open_frames(args.matte, plate.frame_range) if args.matte else None
        layout, sheet = build_sheet(
            plate.frame_range, options, plate.read, matte.read if matte is not None else None
        )
    finally:
        for source in (plate, matte):
            if source is not None:
                source.close()
    keys, channels = layout.frames, sheet.shape[2]
    out = Path(args.out)
    layout_path = Path(args.layout) if args.layout else out.with_suffix(".json")
    dtype = check_output(out, dtype=_storage(args.out, args.dtype), channels=channels)
    _check_not_inputs((out, layout_path), plate, keys)
    write_image(out, sheet, dtype=dtype)
    write_layout(layout_path, layout)
    report: dict[str, Any] = {
        "sheet": str(out),
        "layout": str(layout_path),
        "keys": list(keys),
        "grid": [layout.columns, layout.rows],
        "size": [layout.sheet_width, layout.sheet_height],
        "cell": [layout.cell_width, layout.cell_height],
        "scale": layout.cells[0].scale,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"synthfx sheet pack: {len(keys)} keys ({', '.join(map(str, keys))}) in "
            f"{layout.describe_sheet()}, scale {layout.cells[0].scale:.4g}: {out}, {layout_path}"
        )
    return 0


def _check_not_inputs(outputs: tuple[Path, ...], plate: object, keys: tuple[int, ...]) -> None:
    """Refuses to write the sheet or layout over a plate frame it reads."""
    if not isinstance(plate, SequenceSource):
        return
    inputs = {plate.sequence.path(frame).resolve() for frame in keys}
    for path in outputs:
        if path.resolve() in inputs:
            raise InputError(f"{path} is a plate frame (--frames): choose another output")


def run_unpack(args: argparse.Namespace) -> int:
    sequence = FrameSequence(args.out)
    if sequence.is_still:
        raise InputError(f"--out {args.out!r} needs a frame placeholder (k.####.exr)")
    keys = read_sheet_keys(args.sheet, args.layout)
    channels = next(iter(keys.values())).shape[2]
    dtype = check_output(
        sequence.path(min(keys)), dtype=_storage(args.out, args.dtype), channels=channels
    )
    sheet = Path(args.sheet).resolve()
    written = []
    for frame, pixels in keys.items():
        path = sequence.path(frame)
        if path.resolve() in (sheet, Path(args.layout).resolve()):
            raise InputError(f"{path} is the sheet or the layout: choose another --out")
        write_image(path, pixels, dtype=dtype)
        written.append(str(path))
    if args.json:
        print(json.dumps({"keys": sorted(keys), "files": written}))
    else:
        print(f"synthfx sheet unpack: {len(written)} keys: {', '.join(written)}")
    return 0
