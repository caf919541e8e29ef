# SPDX-License-Identifier: Apache-2.0
"""Options dataclasses <-> ``synthfx.v1`` messages (``EngineParams``, ``StylizeParams``,
``DeflickerParams``, ``SheetParams``, ``KeyframeParams``) and the ``OptionsSchema`` GetInfo
serves, all derived from the schema (``synthfx.schema``).

A field of a message has its option's name; a choice is an enum whose values are the choices,
upper-cased, with the enum's name as prefix (``"over-source"``: ``MASK_OUTPUT_OVER_SOURCE``).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from google.protobuf.message import Message

from synthfx.deflicker.options import DeflickerOptions
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.errors import InputError
from synthfx.keyframe.options import KeyframeOptions
from synthfx.pipeline.options import StylizeOptions
from synthfx.schema import Option, options_of
from synthfx.sheet.options import SheetOptions
from synthfx.v1 import synthfx_pb2 as pb

M = TypeVar("M", bound=Message)
_TYPES = {
    int: pb.OPTION_TYPE_INT,
    float: pb.OPTION_TYPE_DOUBLE,
    bool: pb.OPTION_TYPE_BOOL,
    str: pb.OPTION_TYPE_TEXT,
}


def enum_value_name(enum_name: str, choice: str) -> str:
    """A choice's proto enum value: ("MaskOutput", "over-source") -> MASK_OUTPUT_OVER_SOURCE."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper()
    return f"{prefix}_{choice.upper().replace('-', '_')}"


def message_values(message: Message, cls: type, where: str = "") -> dict[str, Any]:
    """The options of ``cls`` that ``message`` sets, as the dataclass takes them.

    Args:
        message: an ``EngineParams``, ``StylizeParams``, ``DeflickerParams`` or
            ``KeyframeParams``.
        cls: ``SynthesisParams``, ``StylizeOptions``, ``DeflickerOptions`` or
            ``KeyframeOptions``.
        where: prefix of the field names in messages ("engine.").

    Raises:
        InputError: an enum value that names no choice (newer client); the message names it.
    """
    values: dict[str, Any] = {}
    fields = message.DESCRIPTOR.fields_by_name
    for opt in options_of(cls):
        field = fields[opt.name]
        if opt.choices is None:
            if message.HasField(opt.name):
                values[opt.name] = getattr(message, opt.name)
            continue
        number = getattr(message, opt.name)
        if number == 0:  # *_UNSPECIFIED: unset
            continue
        enum = field.enum_type
        assert enum is not None, opt.name  # a choice's field is an enum (test_params)
        value = enum.values_by_number.get(number)
        choice = _choice_of(opt, enum.name, value.name if value else "")
        if choice is None:
            allowed = ", ".join(map(repr, opt.choices))
            raise InputError(f"{where}{opt.name} must be one of {allowed}; got enum value {number}")
        values[opt.name] = choice
    return values


def _choice_of(opt: Option, enum_name: str, value_name: str) -> str | None:
    assert opt.choices is not None
    for choice in opt.choices:
        if enum_value_name(enum_name, choice) == value_name:
            return choice
    return None


def fill_message(message: M, options: object) -> M:
    """Sets every option of the dataclass ``options`` in ``message`` (None: left unset)."""
    fields = message.DESCRIPTOR.fields_by_name
    cls: type = type(options)
    for opt in options_of(cls):
        value = getattr(options, opt.name)
        if value is None:
            continue
        if opt.choices is not None:
            enum = fields[opt.name].enum_type
            assert enum is not None, opt.name
            value = enum.values_by_name[enum_value_name(enum.name, value)].number
        setattr(message, opt.name, value)
    return message


def _value(opt: Option, value: object) -> pb.OptionValue | None:
    if value is None:
        return None
    if opt.kind is bool:
        return pb.OptionValue(bool_value=bool(value))
    if opt.kind is int:
        return pb.OptionValue(int_value=int(value))  # type: ignore[call-overload]
    if opt.kind is float:
        return pb.OptionValue(double_value=float(value))  # type: ignore[arg-type]
    return pb.OptionValue(text_value=str(value))


def _spec(
    opt: Option,
    where: str,
    render: object,
    image_synth: object,
    deflicker: object = None,
    pack_sheet: object = None,
    keyframe: object = None,
) -> pb.OptionSpec:
    info = opt.info
    spec = pb.OptionSpec(
        name=where + opt.name,
        type=pb.OPTION_TYPE_CHOICE if opt.choices is not None else _TYPES[opt.kind],
        help=info.help,
        label=info.label,
        param=info.param,
        page=info.page,
        odd=info.odd,
        choices=opt.choices or (),
        may_be_unset=opt.nullable,
        suggestions=info.suggestions,
    )
    # Seeds reach 2**64 - 1: a double holds the bound only roughly, which is what a UI needs.
    for name, bound in (("minimum", info.minimum), ("maximum", info.maximum)):
        if bound is not None:
            setattr(spec, name, float(bound))
    if info.display is not None:
        spec.display_minimum, spec.display_maximum = info.display
    defaults = (
        ("render_default", render),
        ("image_synth_default", image_synth),
        ("deflicker_default", deflicker),
        ("pack_sheet_default", pack_sheet),
        ("keyframe_default", keyframe),
    )
    for name, value in defaults:
        message = _value(opt, value)
        if message is not None:
            getattr(spec, name).CopyFrom(message)
    offered = _value(opt, info.offered) if info.has_offered else None
    if offered is not None:
        spec.offered_default.CopyFrom(offered)
    return spec


def options_schema() -> pb.OptionsSchema:
    """Every option of ``StylizeParams``, ``EngineParams``, ``DeflickerParams``,
    ``SheetParams`` and ``KeyframeParams``, with each call's defaults."""
    schema = pb.OptionsSchema()
    video, image, flicker = StylizeOptions(), SynthesisParams(), DeflickerOptions()
    key = KeyframeOptions()
    for opt in options_of(StylizeOptions):
        schema.options.append(_spec(opt, "", getattr(video, opt.name), None))
    for opt in options_of(SynthesisParams):
        render = getattr(EZSYNTH_VIDEO_PARAMS, opt.name)
        schema.options.append(
            _spec(
                opt,
                "engine.",
                render,
                getattr(image, opt.name),
                deflicker=getattr(flicker.engine, opt.name),
                keyframe=getattr(key.engine, opt.name),
            )
        )
    for opt in options_of(DeflickerOptions):
        default = getattr(flicker, opt.name)
        schema.options.append(_spec(opt, "deflicker.", None, None, deflicker=default))
    sheet = SheetOptions()
    for opt in options_of(SheetOptions):
        default = getattr(sheet, opt.name)
        schema.options.append(_spec(opt, "sheet.", None, None, pack_sheet=default))
    for opt in options_of(KeyframeOptions):
        default = getattr(key, opt.name)
        schema.options.append(_spec(opt, "keyframe.", None, None, keyframe=default))
    return schema
