# SPDX-License-Identifier: Apache-2.0
"""``synthfx imagesynth``: one synthesis, like Ebsynth's command line, in float.

synthfx imagesynth --style S.exr --guide SRC TGT --weight 2 --guide ... --out OUT.exr
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from synthfx.cli.engine_options import add_engine_options, engine_params
from synthfx.engine import synthesize
from synthfx.errors import InputError
from synthfx.io.images import Image, check_output, read_image, write_image

DEFAULT_GUIDE_WEIGHT = 1.0


class _GuideAction(argparse.Action):
    """--guide SRC TGT appends a pair; a following --weight sets that pair's weight."""

    def __call__(self, parser, namespace, values, option_string=None):
        guides = list(getattr(namespace, "guides", None) or [])
        guides.append([values[0], values[1], None])
        namespace.guides = guides


class _WeightAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        guides = getattr(namespace, "guides", None) or []
        if not guides:
            parser.error("--weight must follow the --guide it applies to")
        if guides[-1][2] is not None:
            parser.error(f"--weight given twice for guide {guides[-1][0]}")
        guides[-1][2] = values


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "imagesynth",
        help="synthesize one image from a style and guide pairs",
        description="Synthesize one image from a style image and source/target guide pairs. "
        "Reads and writes any format OpenImageIO handles; output keeps float values and alpha.",
    )
    parser.add_argument("--style", required=True, type=Path, help="style image (any channels)")
    parser.add_argument(
        "--guide",
        nargs=2,
        metavar=("SOURCE", "TARGET"),
        action=_GuideAction,
        dest="guides",
        help="a guide pair; repeat for more",
    )
    parser.add_argument(
        "--weight",
        type=float,
        action=_WeightAction,
        help=f"weight of the preceding guide (default {DEFAULT_GUIDE_WEIGHT})",
    )
    parser.add_argument("--out", required=True, type=Path, help="output image")
    parser.add_argument(
        "--dtype",
        choices=["half", "float"],
        default=None,
        help="EXR/TIFF sample type of the output (default: the format's)",
    )
    parser.add_argument("--nnf", type=Path, help="write the NNF (x, y source centre) as float EXR")
    parser.add_argument("--error", type=Path, help="write the per-pixel error as float EXR")
    parser.add_argument("--preview", type=Path, help="also write an 8-bit PNG preview")
    parser.add_argument("--modulation", type=Path, help="1-channel per-target-pixel guide factor")
    parser.add_argument("--source-mask", type=Path, help="1-channel; 0 = do not copy from here")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    add_engine_options(parser)
    parser.set_defaults(run=run, guides=[])


def _single_channel(image: Image, what: str, path: Path) -> np.ndarray:
    if image.channels != 1:
        raise InputError(f"{what} {path} must have 1 channel, got {image.channels}")
    return image.pixels


def _check_outputs(args: argparse.Namespace, channels: int) -> None:
    """Refuses, before the synthesis, outputs that cannot be written or would overwrite a file
    this run reads or writes."""
    taken: dict[Path, str] = {Path(args.style).resolve(): "--style"}
    for source, target, _ in args.guides:
        taken[Path(source).resolve()] = "--guide"
        taken[Path(target).resolve()] = "--guide"
    for option in ("modulation", "source_mask"):
        if getattr(args, option):
            taken[Path(getattr(args, option)).resolve()] = "--" + option.replace("_", "-")
    outputs = (
        ("--out", args.out, args.dtype, channels),
        ("--nnf", args.nnf, "float", 2),
        ("--error", args.error, "float", 1),
        ("--preview", args.preview, "uint8", min(4, channels)),
    )
    for option, path, dtype, count in outputs:
        if path is None:
            continue
        check_output(path, dtype=dtype, channels=count)
        resolved = Path(path).resolve()
        if resolved in taken:
            raise InputError(f"{option} {path} is also {taken[resolved]}: give another file")
        taken[resolved] = option


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    style = read_image(args.style)
    guides = []
    for source_path, target_path, weight in args.guides:
        source, target = read_image(source_path), read_image(target_path)
        guides.append(
            (
                source.pixels,
                target.pixels,
                DEFAULT_GUIDE_WEIGHT if weight is None else float(weight),
            )
        )
    modulation = None
    if args.modulation:
        modulation = _single_channel(read_image(args.modulation), "modulation", args.modulation)
    source_mask = None
    if args.source_mask:
        source_mask = _single_channel(read_image(args.source_mask), "source mask", args.source_mask)
    _check_outputs(args, style.channels)
    loaded = time.perf_counter()

    result = synthesize(
        style.pixels,
        guides,
        modulation=modulation,
        source_mask=source_mask,
        params=engine_params(args),
    )
    synthesized = time.perf_counter()

    write_image(args.out, result.image, dtype=args.dtype, channel_names=style.channel_names)
    if args.nnf:
        write_image(
            args.nnf, result.nnf.astype(np.float32), dtype="float", channel_names=("X", "Y")
        )
    if args.error:
        write_image(args.error, result.error, dtype="float", channel_names=("Y",))
    if args.preview:
        write_image(args.preview, result.image[..., : min(4, result.image.shape[2])], dtype="uint8")
    summary: dict[str, Any] = {
        "out": str(args.out),
        "size": [int(result.image.shape[1]), int(result.image.shape[0])],
        "channels": int(result.image.shape[2]),
        "guides": len(guides),
        "mean_error": float(result.error.mean()),
        "seconds": {
            "read": loaded - started,
            "synthesis": synthesized - loaded,
            "write": time.perf_counter() - synthesized,
        },
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"wrote {args.out} ({summary['size'][0]}x{summary['size'][1]}, "
            f"{summary['channels']} channels) in {summary['seconds']['synthesis']:.2f} s, "
            f"mean error {summary['mean_error']:.1f}"
        )
    return 0
