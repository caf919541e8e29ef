# SPDX-License-Identifier: Apache-2.0
"""``synthfx keyframe``: style a plate from one or more reference paintings.

synthfx keyframe --frame plate.1001.exr --reference painting.png --out key.1001.exr \\
    [--reference other.png --reference-weight 0.7 --reference-weight 0.3] \\
    [--method patch|gatys --weights vgg19.pth] [--mask matte.exr] [--preserve-colour luminance]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from synthfx.cli.engine_options import add_options, option_values
from synthfx.cli.stylize import ProgressBar
from synthfx.engine import SynthesisParams
from synthfx.errors import InputError
from synthfx.io import check_output, read_image, write_image
from synthfx.keyframe import KEYFRAME_ENGINE_PARAMS, KeyframeOptions, check_method, make_keyframe
from synthfx.schema import options_of

_DEFAULTS = KeyframeOptions()
# The engine's style weight is left out: --style-weight is the gatys style loss's weight (the
# style_transfer projects' flag); the keyframe engine keeps its own.
_ENGINE_OPTIONS = tuple(o for o in options_of(SynthesisParams) if o.name != "style_weight")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "keyframe",
        help="style a keyframe from reference paintings",
        description="Paint a plate in the look of one or more reference paintings, by guided "
        "patch synthesis (patch, no weights needed) or neural style transfer (gatys, VGG "
        "weights given with --weights, never downloaded); float in, float out, alpha kept. "
        "The keyframe then drives synthfx stylize --key.",
    )
    images = parser.add_argument_group("images")
    images.add_argument("--frame", required=True, help="the plate to style (any image file)")
    images.add_argument(
        "--reference",
        action="append",
        required=True,
        help="a reference painting (repeat for several; any size; alpha marks what is painted)",
    )
    images.add_argument(
        "--reference-weight",
        action="append",
        type=float,
        help="the weight of each --reference, in their order (default: equal)",
    )
    images.add_argument("--mask", help="style only where this image is 1 (alpha or grey)")
    images.add_argument(
        "--segmentation",
        help="patch: the plate's regions (a matte or colour-coded image); with one "
        "--reference-segmentation per reference, each painted region's strokes stay in the "
        "plate's matching region",
    )
    images.add_argument(
        "--reference-segmentation",
        action="append",
        help="the regions of each --reference, labelled like --segmentation, in their order",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, help="the keyframe file (key.exr)")
    output.add_argument(
        "--dtype", choices=["half", "float"], help="EXR/TIFF sample type (default: the format's)"
    )
    output.add_argument(
        "--progress-strip",
        help="gatys: also write the snapshots (--snapshot-every N) side by side to this image",
    )
    output.add_argument("--json", action="store_true", help="print a JSON summary")
    output.add_argument("--quiet", action="store_true", help="no progress bar")
    add_options(parser.add_argument_group("keyframe"), options_of(KeyframeOptions), _DEFAULTS)
    engine = parser.add_argument_group("engine options of the patch method (Ebsynth's meaning)")
    add_options(engine, _ENGINE_OPTIONS, KEYFRAME_ENGINE_PARAMS)
    parser.set_defaults(run=run)


def keyframe_options(args: argparse.Namespace) -> KeyframeOptions:
    """The options the parsed flags give (validated)."""
    engine = SynthesisParams(
        **{
            **option_values(args, SynthesisParams),
            "style_weight": KEYFRAME_ENGINE_PARAMS.style_weight,
        }
    )
    weights = tuple(args.reference_weight or ())
    if weights and len(weights) != len(args.reference):
        raise InputError(
            f"{len(weights)} --reference-weight values for {len(args.reference)} --reference "
            "images: give one weight per reference, in their order"
        )
    return KeyframeOptions(
        **option_values(args, KeyframeOptions), reference_weights=weights, engine=engine
    )


def run(args: argparse.Namespace) -> int:
    options = keyframe_options(args)
    check_method(options)
    if args.progress_strip and not (options.method == "gatys" and options.snapshot_every):
        raise InputError(
            "--progress-strip shows the steps of --method gatys: give --snapshot-every N too"
        )
    inputs = {Path(p).resolve(): flag for p, flag in _inputs(args)}
    out = Path(args.out)
    for flag, path in (("--out", out), ("--progress-strip", args.progress_strip)):
        if path and Path(path).resolve() in inputs:
            used = inputs[Path(path).resolve()]
            raise InputError(f"{flag} {path} is the {used} file: choose another name")
    plate = read_image(args.frame)
    check_output(out, dtype=args.dtype, channels=3 if plate.channels in (1, 3) else 4)
    if args.progress_strip:
        check_output(args.progress_strip, channels=3)
    references = [read_image(path).pixels for path in args.reference]
    mask = read_image(args.mask).pixels if args.mask else None
    segmentation = read_image(args.segmentation).pixels if args.segmentation else None
    reference_segmentations = [read_image(p).pixels for p in args.reference_segmentation or ()]
    progress = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        result = make_keyframe(
            plate.pixels,
            references,
            mask=mask,
            segmentation=segmentation,
            reference_segmentations=reference_segmentations,
            options=options,
            progress=progress,
        )
    finally:
        progress.close()
    write_image(out, result.image, dtype=args.dtype, pixel_aspect=plate.pixel_aspect)
    if args.progress_strip and result.snapshots:
        write_image(args.progress_strip, np.concatenate(result.snapshots, axis=1))
    height, width, channels = result.image.shape
    report: dict[str, object] = {
        "out": str(out),
        "method": options.method,
        "references": len(references),
        "width": width,
        "height": height,
        "channels": channels,
        "seconds": round(result.seconds, 3),
    }
    if result.losses:
        first, last = result.losses[0], result.losses[-1]
        report["evaluations"] = len(result.losses)
        report["loss_first"] = {"total": first.total, "style": first.style}
        report["loss_last"] = {
            "total": last.total,
            "content": last.content,
            "style": last.style,
            "tv": last.tv,
        }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"synthfx keyframe: {out} ({width}x{height}, {options.method}, "
            f"{len(references)} reference(s)), {result.seconds:.1f} s"
        )
    return 0


def _inputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(path, flag) of every file the job reads."""
    files = [(args.frame, "--frame"), *((path, "--reference") for path in args.reference)]
    if args.mask:
        files.append((args.mask, "--mask"))
    if args.segmentation:
        files.append((args.segmentation, "--segmentation"))
    files += [(path, "--reference-segmentation") for path in args.reference_segmentation or ()]
    return files
