# SPDX-License-Identifier: Apache-2.0
"""One description of every job option: name, type, default, range, help text and choices.

Options are fields of the options dataclasses (``SynthesisParams``, ``StylizeOptions``) declared
with :func:`option`. The CLI flags, the proto mapping (``synthfx.schema_wire``) and the schema
``GetInfo`` serves are derived from them, so an option is written once, next to its default.

Example:
    >>> @dataclasses.dataclass(frozen=True)
    ... class Params:
    ...     size: int = option(5, help="Patch size in pixels.", label="Size", param="size",
    ...                        minimum=3, odd=True)
    >>> [(o.name, o.default, o.info.minimum) for o in options_of(Params)]
    [('size', 5, 3)]
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

# Key of the field metadata that holds an option's OptionInfo.
_METADATA_KEY = "synthfx.option"
# Marks "no offered default": the front-ends offer the option's own default.
_SAME = object()


@dataclass(frozen=True)
class OptionInfo:
    """What a user interface needs to know about one option, beyond its type and default.

    Attributes:
        help: what the option does, written for artists; the CLI's help and the plugin's hint.
        label: the plugin's label.
        param: the plugin's parameter (script) name; stable, saved scripts refer to it.
        page: the plugin's page it is on ("guides", "mask", "engine").
        minimum: the smallest accepted value (None: no bound).
        maximum: the largest accepted value (None: no bound).
        display: the slider range a user interface suggests, (low, high).
        odd: only odd values are accepted.
        suggestions: common values of an open-ended text option (the plugin's menu).
        open_form: the form of the other values of an open-ended text option ("raft:PATH").
        offered: what the CLI and the plugin offer as default where it differs from the
            library's (the backend's default when a client leaves the option unset).
    """

    help: str
    label: str
    param: str
    page: str = "engine"
    minimum: float | None = None
    maximum: float | None = None
    display: tuple[float, float] | None = None
    odd: bool = False
    suggestions: tuple[str, ...] = ()
    open_form: str | None = None
    offered: object = _SAME

    @property
    def has_offered(self) -> bool:
        """Whether front-ends offer a default of their own (see ``offered``)."""
        return self.offered is not _SAME


def option(default: Any, **info: Any) -> Any:
    """A dataclass field with ``default`` described by ``OptionInfo(**info)``."""
    return dataclasses.field(default=default, metadata={_METADATA_KEY: OptionInfo(**info)})


@dataclass(frozen=True)
class Option:
    """One option of an options dataclass.

    Attributes:
        name: the field's name (also the proto field's and, dashed, the CLI flag's).
        kind: ``int``, ``float``, ``bool`` or ``str``.
        default: the dataclass default.
        choices: the accepted values of a choice (from its ``Literal`` type), else None.
        nullable: None is accepted too (it means "not set").
        info: the rest of the description.
    """

    name: str
    kind: type
    default: Any
    choices: tuple[str, ...] | None
    nullable: bool
    info: OptionInfo

    @property
    def flag(self) -> str:
        """The CLI flag: ``--patch-size``."""
        return "--" + self.name.replace("_", "-")


@functools.cache
def options_of(cls: type) -> tuple[Option, ...]:
    """The options of an options dataclass (its fields declared with :func:`option`), in order."""
    hints = typing.get_type_hints(cls)
    described = []
    for f in dataclasses.fields(cls):
        info = f.metadata.get(_METADATA_KEY)
        if info is None:
            continue
        kind, choices, nullable = _kind(hints[f.name])
        described.append(Option(f.name, kind, f.default, choices, nullable, info))
    return tuple(described)


def _kind(hint: Any) -> tuple[type, tuple[str, ...] | None, bool]:
    """(scalar type, choices, nullable) of a field's type hint."""
    args = typing.get_args(hint)
    nullable = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        nullable = True
        (hint,) = [a for a in args if a is not type(None)]
    if typing.get_origin(hint) is Literal:
        return str, tuple(typing.get_args(hint)), nullable
    if hint not in (int, float, bool, str):
        raise TypeError(f"an option must be int, float, bool, str or a Literal, got {hint}")
    return hint, None, nullable


def problem(opt: Option, value: object) -> str | None:
    """What is wrong with ``value`` for ``opt`` (a message naming the option), or None."""
    name = opt.name
    if value is None and opt.nullable:
        return None
    if opt.choices is not None:
        if value not in opt.choices:
            allowed = (None, *opt.choices) if opt.nullable else opt.choices
            return f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}"
        return None
    if opt.kind is str:
        if not isinstance(value, str) or not value:
            example = f" such as {opt.info.suggestions[0]!r}" if opt.info.suggestions else ""
            return f"{name} must be a non-empty text{example}, got {value!r}"
        return None
    if opt.kind is bool:
        return None if isinstance(value, bool) else f"{name} must be true or false, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} must be a number, got {value!r}"
    info = opt.info
    if opt.kind is float and not math.isfinite(value):
        bound = "" if info.minimum is None else f" and >= {_text(info.minimum)}"
        return f"{name} must be finite{bound}, got {value}"
    if info.minimum is not None and value < info.minimum:
        finite = "finite and " if opt.kind is float else ""
        return f"{name} must be {finite}>= {_text(info.minimum)}, got {value}"
    if info.maximum is not None and value > info.maximum:
        return f"{name} must be <= {_text(info.maximum)}, got {value}"
    if info.odd and int(value) % 2 == 0:
        return f"{name} must be odd, got {value}"
    return None


def _text(bound: float) -> str:
    """A bound as the user typed it: 0, 63, 0.5 (not 0.0 or 6.3e+01)."""
    if isinstance(bound, int):
        return str(bound)
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))
