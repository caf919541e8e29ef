# SPDX-License-Identifier: Apache-2.0
"""Typed request parameters (``synthfx.v1.EngineParams``, ``StylizeParams``) to pipeline options.

Unset fields keep the call's defaults; every value is checked by the dataclass it lands in, so
a bad value fails with a message naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.errors import InputError
from synthfx.pipeline import StylizeOptions
from synthfx.v1 import synthfx_pb2 as pb

_VOTE_MODES = {pb.VOTE_MODE_PLAIN: "plain", pb.VOTE_MODE_WEIGHTED: "weighted"}
_BACKENDS = {
    pb.COMPUTE_BACKEND_AUTO: "auto",
    pb.COMPUTE_BACKEND_CPU: "cpu",
    pb.COMPUTE_BACKEND_CUDA: "cuda",
}
_ENGINE_FIELDS = (
    "style_weight",
    "uniformity",
    "patch_size",
    "pyramid_levels",
    "search_vote_iters",
    "patchmatch_iters",
    "stop_threshold",
    "extra_pass_3x3",
    "seed",
    "threads",
)
_STYLIZE_FIELDS = (
    "edge",
    "flow",
    "only",
    "edge_weight",
    "image_weight",
    "positional_weight",
    "temporal_weight",
    "mask_weight",
    "mask_mode",
    "feather",
    "mask_output",
    "screening",
    "selection_smoothing",
)
# A model file name in the server's models directory: no directories, no "..".
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def engine_params(message: pb.EngineParams, defaults: SynthesisParams) -> SynthesisParams:
    """``defaults`` with the fields ``message`` sets."""
    values: dict[str, Any] = {n: getattr(message, n) for n in _ENGINE_FIELDS if message.HasField(n)}
    if message.vote_mode != pb.VOTE_MODE_UNSPECIFIED:
        if message.vote_mode not in _VOTE_MODES:
            raise InputError(f"engine.vote_mode: unknown value {message.vote_mode}")
        values["vote_mode"] = _VOTE_MODES[message.vote_mode]
    if message.backend != pb.COMPUTE_BACKEND_UNSPECIFIED:
        if message.backend not in _BACKENDS:
            raise InputError(f"engine.backend: unknown value {message.backend}")
        values["backend"] = _BACKENDS[message.backend]
    for name in ("patch_size", "search_vote_iters", "patchmatch_iters"):
        if name in values and values[name] < 1:
            raise InputError(f"engine.{name} must be >= 1, got {values[name]}")
    if "patch_size" in values and values["patch_size"] % 2 == 0:
        raise InputError(f"engine.patch_size must be odd, got {values['patch_size']}")
    return dataclasses.replace(defaults, **values)


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
    values: dict[str, Any] = {
        n: getattr(message, n) for n in _STYLIZE_FIELDS if message.HasField(n)
    }
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
