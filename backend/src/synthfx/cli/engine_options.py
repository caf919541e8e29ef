# SPDX-License-Identifier: Apache-2.0
"""Options flags derived from the schema (``synthfx.schema``): one flag per option, with its
name, default, help and choices, for every subcommand that runs a synthesis."""

from __future__ import annotations

import argparse
from typing import Any

from synthfx.engine import SynthesisParams
from synthfx.schema import Option, options_of

_DEFAULTS = SynthesisParams()
# The CLI's names for options whose flag would read badly: --backend names the remote backend.
_FLAGS = {"backend": "--device"}


def flag(opt: Option) -> str:
    """The CLI flag of an option: ``--patch-size``."""
    return _FLAGS.get(opt.name, opt.flag)


def _dest(opt: Option) -> str:
    return flag(opt).removeprefix("--").replace("-", "_")


def add_options(group: Any, options: tuple[Option, ...], defaults: object) -> None:
    """Adds one flag per option, defaulting to its value in ``defaults`` (or the value the
    schema offers front-ends)."""
    for opt in options:
        default = opt.info.offered if opt.info.has_offered else getattr(defaults, opt.name)
        kwargs: dict[str, Any] = {
            "dest": _dest(opt),
            "default": default,
            "help": _help(opt, default),
        }
        if opt.kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif opt.choices is not None:
            kwargs["choices"] = list(opt.choices)
        else:
            kwargs["type"] = opt.kind
        group.add_argument(flag(opt), **kwargs)


def _help(opt: Option, default: object) -> str:
    # %: argparse formats help text; the defaults show as they would be typed.
    text = opt.info.help.replace("%", "%%")
    forms = (*opt.info.suggestions, *filter(None, [opt.info.open_form]))
    if forms:
        text += f" One of {', '.join(forms)}."
    if opt.kind is bool or default is None:  # the flag's presence (--no-...), or unset
        return text
    return text + " (default: %(default)s)"


def option_values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The values of ``cls``'s options in the parsed ``args``."""
    return {opt.name: getattr(args, _dest(opt)) for opt in options_of(cls)}


def add_engine_options(
    parser: argparse.ArgumentParser, defaults: SynthesisParams = _DEFAULTS
) -> None:
    """Adds every engine parameter as an option, with ``defaults`` as the default values."""
    group = parser.add_argument_group("engine options (Ebsynth's meaning)")
    add_options(group, options_of(SynthesisParams), defaults)


def engine_params(args: argparse.Namespace) -> SynthesisParams:
    return SynthesisParams(**option_values(args, SynthesisParams))
