# SPDX-License-Identifier: Apache-2.0
"""Typed request parameters (``synthfx.v1.EngineParams``, ``StylizeParams``,
``DeflickerParams``, ``SheetParams``, ``KeyframeParams``) to job options.

Unset fields keep the call's defaults; every value is checked by the dataclass it lands in, so
a bad value fails with a message naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from synthfx.deflicker import DEFLICKER_ENGINE_PARAMS, DeflickerOptions
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.errors import InputError
from synthfx.keyframe import KEYFRAME_ENGINE_PARAMS, KeyframeOptions
from synthfx.pipeline import StylizeOptions
from synthfx.schema import options_of, problem
from synthfx.schema_wire import message_values
from synthfx.schema_wire import options_schema as _options_schema
from synthfx.sheet import SheetOptions
from synthfx.v1 import synthfx_pb2 as pb

# A model file name in the server's models directory: no directories, no "..".
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def options_schema() -> pb.OptionsSchema:
    """The schema of every job option, for ``GetInfoResponse.options``."""
    return _options_schema()


def engine_params(message: pb.EngineParams, defaults: SynthesisParams) -> SynthesisParams:
    """``defaults`` with the fields ``message`` sets, each within the schema's range.

    The ranges are checked here, as well as by the engine, so a bad request fails before a job
    starts with the field's name as the client knows it ("engine.patch_size").
    """
    values = message_values(message, SynthesisParams, "engine.")
    for opt in options_of(SynthesisParams):
        if opt.name in values:
            error = problem(opt, values[opt.name])
            if error:
                raise InputError(f"engine.{error}")
    return dataclasses.replace(defaults, **values)


def _model_file(name: str, field: str, models_dir: Path | None) -> Path:
    """``name``'s path in the server's models directory (never a path of the client's)."""
    if not _MODEL_NAME.match(name) or ".." in name:
        raise InputError(f"{field}: {name!r:.80} must be a model file name (no directories)")
    if models_dir is None:
        raise InputError(f"{field}: {name!r} needs a models directory (serve --models-dir)")
    path = models_dir / name
    if not path.is_file():
        raise InputError(f"{field}: model {name!r} is not in the server's models directory")
    return path


def resolve_flow(spec: str, models_dir: Path | None) -> str:
    """A client's flow spec as the pipeline takes it; ``raft:NAME`` names a server model file."""
    if not spec.startswith("raft:"):
        return spec
    name = spec.removeprefix("raft:")
    if not _MODEL_NAME.match(name) or ".." in name:
        raise InputError(
            f"params.flow: {spec!r:.80} must be raft:NAME with NAME a model file name "
            "(no directories)"
        )
    if models_dir is None:
        raise InputError(f"params.flow: {spec!r} needs a models directory (serve --models-dir)")
    path = models_dir / name
    if not path.is_file():
        raise InputError(f"params.flow: model {name!r} is not in the server's models directory")
    return f"raft:{path}"


def stylize_options(message: pb.StylizeParams, models_dir: Path | None) -> StylizeOptions:
    """Pipeline options from a request (Ezsynth's defaults where unset)."""
    values = message_values(message, StylizeOptions)
    for name, text in message.options.items():
        if name in values or name == "engine":
            raise InputError(f"params.options[{name!r}] repeats a typed field; set it there")
        try:
            values[name] = json.loads(text)
        except ValueError:
            raise InputError(f"params.options[{name!r:.80}] is not JSON: {text!r:.80}") from None
    if "flow" in values:
        values["flow"] = resolve_flow(str(values["flow"]), models_dir)
    engine = EZSYNTH_VIDEO_PARAMS
    if message.HasField("engine"):
        engine = engine_params(message.engine, EZSYNTH_VIDEO_PARAMS)
    values["engine"] = dataclasses.asdict(engine)
    try:
        return StylizeOptions.from_dict(values)
    except TypeError as exc:
        raise InputError(f"params: {exc}") from None


def deflicker_options(message: pb.DeflickerParams) -> DeflickerOptions:
    """Deflicker options from a request (``DeflickerOptions``' defaults where unset, the
    deflicker's engine parameters for unset engine fields)."""
    engine = DEFLICKER_ENGINE_PARAMS
    if message.HasField("engine"):
        engine = engine_params(message.engine, DEFLICKER_ENGINE_PARAMS)
    return DeflickerOptions(**message_values(message, DeflickerOptions), engine=engine)


def sheet_options(message: pb.SheetParams) -> SheetOptions:
    """Key sheet options from a request (``SheetOptions``' defaults where unset)."""
    return SheetOptions(**message_values(message, SheetOptions))


def keyframe_options(message: pb.KeyframeParams, models_dir: Path | None) -> KeyframeOptions:
    """Keyframe options from a request (``KeyframeOptions``' defaults where unset, the keyframe's
    engine parameters for unset engine fields); gatys weights are a file of the server's models
    directory, ``NETWORK.pth`` when unset.

    Raises:
        InputError: a bad value, or gatys without weights the server has.
    """
    values = message_values(message, KeyframeOptions)
    engine = KEYFRAME_ENGINE_PARAMS
    if message.HasField("engine"):
        engine = engine_params(message.engine, KEYFRAME_ENGINE_PARAMS)
    if values.get("snapshot_every"):
        raise InputError("params.snapshot_every: the Keyframe call returns no snapshots; use 0")
    options = KeyframeOptions(
        **values, reference_weights=tuple(message.reference_weights), engine=engine
    )
    if options.method != "gatys":
        return options
    name = options.weights or f"{options.network}.pth"
    if options.weights is None and (models_dir is None or not (models_dir / name).is_file()):
        raise InputError(
            f"params.weights: method gatys needs VGG weights: put {name} in the backend's models "
            "directory (serve --models-dir) or name a file there; weights are never downloaded"
        )
    return options.replace(weights=str(_model_file(name, "params.weights", models_dir)))
