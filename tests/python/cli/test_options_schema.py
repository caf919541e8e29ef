# SPDX-License-Identifier: Apache-2.0
"""Every option of the schema is a CLI flag with its default, choices and help text."""

from __future__ import annotations

import argparse

import pytest

from synthfx.cli import build_parser
from synthfx.cli.engine_options import flag
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.pipeline import StylizeOptions
from synthfx.schema import options_of


def _subcommand(name: str) -> argparse.ArgumentParser:
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices[name]


def _flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: a for a in parser._actions for option in a.option_strings}


@pytest.mark.parametrize(
    ("command", "sets"),
    [
        ("stylize", [(StylizeOptions, StylizeOptions()), (SynthesisParams, EZSYNTH_VIDEO_PARAMS)]),
        ("imagesynth", [(SynthesisParams, SynthesisParams())]),
    ],
)
def test_flags_match_schema(command: str, sets: list) -> None:
    flags = _flags(_subcommand(command))
    for cls, defaults in sets:
        for opt in options_of(cls):
            action = flags[flag(opt)]
            offered = opt.info.offered if opt.info.has_offered else getattr(defaults, opt.name)
            assert action.default == offered, opt.name
            assert action.choices == (list(opt.choices) if opt.choices else None), opt.name
            assert action.help is not None and action.help.startswith(opt.info.help), opt.name
            if opt.choices is None and opt.kind is not bool:
                assert action.type is opt.kind, opt.name


def test_parsed_defaults_are_the_schema_defaults() -> None:
    from synthfx.cli.imagesynth import engine_params
    from synthfx.cli.stylize import stylize_options

    parser = build_parser()
    args = parser.parse_args(["stylize", "--frames", "f.####.exr", "--out", "o.####.exr"])
    assert stylize_options(args) == StylizeOptions(
        engine=SynthesisParams(**{**EZSYNTH_VIDEO_PARAMS.__dict__, "backend": "auto"})
    )
    args = parser.parse_args(["imagesynth", "--style", "s.exr", "--out", "o.exr"])
    assert engine_params(args) == SynthesisParams(backend="auto")


def test_demo_threads_flag() -> None:
    (threads,) = [o for o in options_of(SynthesisParams) if o.name == "threads"]
    action = _flags(_subcommand("demo"))["--threads"]
    assert action.default == threads.default and action.help.startswith(threads.info.help)
