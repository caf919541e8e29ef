# SPDX-License-Identifier: Apache-2.0
"""The ``synthfx`` command line: one module per subcommand, each with ``add_parser`` and ``run``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from synthfx import __version__
from synthfx.cli import batch, deflicker, demo, imagesynth, keyframe, serve, sheet, stylize
from synthfx.errors import SynthfxError

_COMMANDS = (imagesynth, stylize, deflicker, batch, sheet, keyframe, demo, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthfx", description="Example-based video stylization (Ebsynth-style), float."
    )
    parser.add_argument("--version", action="version", version=f"synthfx {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input, with a one-line message)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SynthfxError as exc:
        print(f"synthfx {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"synthfx {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
