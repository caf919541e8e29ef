# SPDX-License-Identifier: Apache-2.0
"""Every option of a video stylization job, validated, with Ezsynth's defaults.

``StylizeOptions.fingerprint()`` is part of every cache key: two jobs share cached results only
when every option that can change a pixel is equal.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.errors import InputError
from synthfx.flow.factory import DEFAULT_FLOW
from synthfx.guides.edges import EdgeMethod
from synthfx.guides.weights import EDGE_WEIGHT, IMAGE_WEIGHT, POSITIONAL_WEIGHT, TEMPORAL_WEIGHT
from synthfx.pipeline.planning import Direction

MaskMode = Literal["before", "after"]
MaskOutput = Literal["premultiplied", "over-source"]

# Weight of the mask guide when the mask is applied before synthesis: strong enough that
# patches inside the mask come from inside the keyframe's mask.
MASK_WEIGHT = 10.0
# Screened Poisson weight and selection-mask softening of the bidirectional blend.
DEFAULT_SCREENING = 0.05
DEFAULT_SELECTION_SMOOTHING = 1.0

# Engine parameters that never change a pixel (determinism holds whatever they are).
_NON_PIXEL_ENGINE_FIELDS = ("threads",)
# Options applied after the synthesis passes: changing them reuses the cached passes.
_POST_PASS_FIELDS = ("only", "feather", "mask_output", "screening", "selection_smoothing")


@dataclass(frozen=True)
class StylizeOptions:
    """Options of one stylization job.

    Attributes:
        edge: edge guide method: "classic", "pst" or "page".
        flow: optical flow spec: "dis-medium", "dis-fast", "dis-ultrafast" or "raft:PATH".
        only: "forward" or "reverse" to use one direction between keys (no blending); None
            blends both.
        edge_weight: weight of the edge guide (0 leaves it out).
        image_weight: weight of the image (colour) guide.
        positional_weight: weight of the advected positional guide.
        temporal_weight: weight of the warped previous stylized frame.
        mask_weight: weight of the mask guide when ``mask_mode`` is "before".
        mask_mode: "after": synthesise the whole frame, then cut it out with the mask;
            "before": also guide synthesis with the mask and copy only from inside the
            keyframe's mask, so the masked object never borrows background texture.
        feather: feather radius of the output alpha, in pixels.
        mask_output: "premultiplied": RGB times alpha, alpha = mask (for a Merge over);
            "over-source": the stylized frame composited over the source frame.
        screening: Poisson screening weight of the bidirectional blend (1/pixel^2).
        selection_smoothing: Gaussian softening of the per-pixel pass selection, in pixels.
        engine: synthesis parameters (Ezsynth's video parameters by default).
    """

    edge: EdgeMethod = "classic"
    flow: str = DEFAULT_FLOW
    only: Direction | None = None
    edge_weight: float = EDGE_WEIGHT
    image_weight: float = IMAGE_WEIGHT
    positional_weight: float = POSITIONAL_WEIGHT
    temporal_weight: float = TEMPORAL_WEIGHT
    mask_weight: float = MASK_WEIGHT
    mask_mode: MaskMode = "after"
    feather: float = 0.0
    mask_output: MaskOutput = "premultiplied"
    screening: float = DEFAULT_SCREENING
    selection_smoothing: float = DEFAULT_SELECTION_SMOOTHING
    engine: SynthesisParams = field(default_factory=lambda: EZSYNTH_VIDEO_PARAMS)

    def __post_init__(self) -> None:
        _check_choice("edge", self.edge, get_args(EdgeMethod))
        _check_choice("only", self.only, (None, *get_args(Direction)))
        _check_choice("mask_mode", self.mask_mode, get_args(MaskMode))
        _check_choice("mask_output", self.mask_output, get_args(MaskOutput))
        if not isinstance(self.flow, str) or not self.flow:
            raise InputError(f"flow must be a flow spec such as 'dis-medium', got {self.flow!r}")
        for name in (
            "edge_weight",
            "image_weight",
            "positional_weight",
            "temporal_weight",
            "mask_weight",
            "feather",
            "screening",
            "selection_smoothing",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be finite and >= 0, got {value}")
        if not isinstance(self.engine, SynthesisParams):
            raise InputError(f"engine must be SynthesisParams, got {type(self.engine).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; ``from_dict`` inverts it."""
        values = dataclasses.asdict(self)
        values["engine"] = dataclasses.asdict(self.engine)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> StylizeOptions:
        """Options from ``to_dict`` output; missing keys take their defaults.

        Raises:
            InputError: unknown keys (named) or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown stylize option(s): {', '.join(unknown)}")
        values = dict(values)
        if "engine" in values and isinstance(values["engine"], dict):
            engine_known = {f.name for f in dataclasses.fields(SynthesisParams)}
            engine_unknown = sorted(set(values["engine"]) - engine_known)
            if engine_unknown:
                raise InputError(f"unknown engine option(s): {', '.join(engine_unknown)}")
            values["engine"] = SynthesisParams(**values["engine"])
        return cls(**values)

    def fingerprint(self) -> str:
        """Canonical text of every option that can change a pixel (for cache keys)."""
        values = self.to_dict()
        for name in _NON_PIXEL_ENGINE_FIELDS:
            values["engine"].pop(name)
        return json.dumps(values, sort_keys=True, separators=(",", ":"))

    def pass_fingerprint(self) -> str:
        """Like ``fingerprint`` but only the options a synthesis pass depends on."""
        values = json.loads(self.fingerprint())
        for name in _POST_PASS_FIELDS:
            values.pop(name)
        return json.dumps(values, sort_keys=True, separators=(",", ":"))


def _check_choice(name: str, value: object, choices: tuple[object, ...]) -> None:
    if value not in choices:
        allowed = ", ".join(repr(choice) for choice in choices)
        raise InputError(f"{name} must be one of {allowed}; got {value!r}")
